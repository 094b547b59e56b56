import { join } from 'node:path'

export const IMAGES = join(import.meta.dir, '../fixtures/images')
export const CAT_CLASSES = [281, 282, 283, 284, 285]

export async function imageBytes(name: string): Promise<Uint8Array> {
  return new Uint8Array(await Bun.file(join(IMAGES, name)).arrayBuffer())
}

/** multipart/form-data with one `image` field per entry. */
export function multipart(
  images: Array<{ bytes: Uint8Array; name?: string; type?: string }>,
  fields: Record<string, string> = {}
): FormData {
  const form = new FormData()
  for (const { bytes, name = 'image.jpg', type = 'application/octet-stream' } of images)
    form.append('image', new Blob([bytes as unknown as BlobPart], { type }), name)
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  return form
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64')
}

export interface PredictBody {
  model: string
  model_version: string
  predictions: Array<Array<{ label: string; class_index: number; score: number }>>
  metadata: { request_id: string; preprocess_ms: number; queue_ms: number; inference_ms: number; batch_size: number; batch_sizes: number[] }
}

export interface ErrorJson {
  error: { code: string; message: string; request_id: string }
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}
