import { AppError } from '../errors'
import { multipartBoundary, multipartParts } from './multipart-index'
import { tarImages, type SpooledImage } from './tar-index'

/** What a job upload holds: its images, where they are in the spool file, and the options sent as form fields. */
export interface UploadIndex {
  images: SpooledImage[]
  fields: Partial<Record<JobField, string>>
}

/** The form fields a job upload may carry besides its images (the query string may carry them too). */
export const JOB_FIELDS = ['model', 'version', 'top_k'] as const
export type JobField = (typeof JOB_FIELDS)[number]

/** Longest value of a form field, bytes. */
const MAX_FIELD_BYTES = 256

const isTar = (type: string | undefined) => type !== undefined && /^application\/(x-)?tar\b/i.test(type)

/** Whether a file starts like a gzip, bzip2, xz or zstd stream: a compressed archive we do not unpack. */
async function compressed(file: Bun.BunFile, offset: number): Promise<boolean> {
  const magic = await file.slice(offset, offset + 4).bytes()
  const starts = (...bytes: number[]) => bytes.every((byte, i) => magic[i] === byte)
  return starts(0x1f, 0x8b) || starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58) || starts(0x28, 0xb5, 0x2f, 0xfd)
}

async function archiveImages(file: Bun.BunFile, start: number, end: number, maxImages: number): Promise<SpooledImage[]> {
  if (await compressed(file, start))
    throw new AppError('unsupported_media_type', 'a compressed archive is not accepted: send a plain tar (images are compressed already)')
  return tarImages(file, start, end, maxImages)
}

/** Refuses (415) a job upload that is neither multipart/form-data with a boundary nor a tar, before a byte is read. */
export function checkUploadType(contentType: string): void {
  if (isTar(contentType) || (/^multipart\/form-data\b/i.test(contentType) && multipartBoundary(contentType))) return
  throw new AppError('unsupported_media_type', 'a job upload is multipart/form-data (with a boundary) or application/x-tar')
}

/**
 * Indexes a spooled job upload without reading its images: a multipart/form-data body with image files in the
 * repeatable field `images`, tar archives in `archive`, and the fields of JOB_FIELDS; or a bare application/x-tar
 * body. Image names come from the file names (a tar's paths), else `image-<n>`.
 */
export async function indexUpload(path: string, contentType: string, maxImages: number): Promise<UploadIndex> {
  const file = Bun.file(path)
  const size = file.size
  if (isTar(contentType)) return { images: await archiveImages(file, 0, size, maxImages), fields: {} }
  const boundary = /^multipart\/form-data\b/i.test(contentType) ? multipartBoundary(contentType) : undefined
  if (!boundary) throw new AppError('unsupported_media_type', 'a job upload is multipart/form-data (with a boundary) or application/x-tar')
  const images: SpooledImage[] = []
  const fields: UploadIndex['fields'] = {}
  for (const part of await multipartParts(file, size, boundary, maxImages + JOB_FIELDS.length + 16)) {
    if (part.field === 'images') {
      if (images.length >= maxImages) throw new AppError('too_many_images', `the job holds more than ${maxImages} images`)
      images.push({ name: part.filename || `image-${images.length}`, offset: part.start, length: part.end - part.start })
    } else if (part.field === 'archive') {
      images.push(...(await archiveImages(file, part.start, part.end, maxImages - images.length)))
    } else if ((JOB_FIELDS as readonly string[]).includes(part.field)) {
      if (part.end - part.start > MAX_FIELD_BYTES) throw new AppError('validation_failed', `the field ${part.field} is too long`)
      fields[part.field as JobField] = (await file.slice(part.start, part.end).text()).trim()
    } else
      throw new AppError(
        'validation_failed',
        `unknown field ${JSON.stringify(part.field.slice(0, 64))}: a job takes images, archive, ${JOB_FIELDS.join(', ')}`
      )
  }
  return { images, fields }
}
