import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import SwaggerParser from '@apidevtools/swagger-parser'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ERROR_CATALOGUE } from '../../src/errors'
import { GENERATED_TYPES, openapiTypes } from '../../tools/openapi/openapi-types'
import { bunInferClient, multipart } from '../../examples/typescript/client'
import { base64, CAT_CLASSES, IMAGES, imageBytes } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The published contract, read from the real server, validated, turned into a typed client, and used.
// The raw document is read as untyped JSON; the client below is typed from it, and nothing here casts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>
let server: ServerProcess
let document: Json
beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_WORKERS: '1' })
  document = await (await fetch(`${server.url}/openapi.json`)).json()
})
afterAll(async () => {
  await server?.stop()
})

const operations = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, op]): { path: string; method: string; op: Json } => ({ path, method, op }))
  )

describe('the OpenAPI document', () => {
  test('is valid OpenAPI, says its licence and its server', async () => {
    // From a file: the validator's own HTTP resolver does not run on Bun.
    const dir = mkdtempSync(join(tmpdir(), 'bun-infer-openapi-'))
    try {
      await Bun.write(join(dir, 'openapi.json'), JSON.stringify(document))
      await SwaggerParser.validate(join(dir, 'openapi.json'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(document.info.license).toEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' })
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }])
  })

  test('names its schemas, refers to them, and types integers as integers', () => {
    const names = Object.keys(document.components.schemas)
    for (const name of [
      'PredictionResponse',
      'Prediction',
      'PredictionMetadata',
      'Error',
      'ModelInfo',
      'ModelList',
      'PredictMultipartRequest',
      'PredictJsonRequest'
    ])
      expect(names).toContain(name)
    const text = JSON.stringify(document)
    expect(text).not.toContain('"$id"')
    expect(text).not.toContain('"format":"integer"') // Elysia's integer-or-numeric-string
    expect(text.match(/"\$ref":"#\/components\/schemas\/Error"/g)?.length).toBeGreaterThan(10)
    expect(document.components.schemas.Prediction.properties.class_index.type).toBe('integer')
    expect(document.components.schemas.PredictionMetadata.properties.batch_size.type).toBe('integer')
  })

  test('the multipart body is binary file parts', () => {
    const body = document.paths['/v1/predict'].post.requestBody.content['multipart/form-data'].schema
    expect(body).toEqual({ $ref: '#/components/schemas/PredictMultipartRequest' })
    expect(document.components.schemas.PredictMultipartRequest.properties.image.items).toMatchObject({ type: 'string', format: 'binary' })
  })

  test('documents the response headers', () => {
    for (const { path, op } of operations()) {
      const responses: Json = op.responses ?? {}
      for (const [status, response] of Object.entries(responses)) {
        const headers = Object.keys(response.headers ?? {})
        expect(headers, `${path} ${status}`).toEqual(expect.arrayContaining(['x-request-id', 'traceparent']))
        if (status === '429' || status === '503') expect(headers, `${path} ${status}`).toContain('Retry-After')
        if (status === '401') expect(headers, `${path} ${status}`).toContain('WWW-Authenticate')
        if (status === '200' && path.endsWith('/predict')) expect(headers).toContain('Server-Timing')
      }
    }
    expect(Object.keys(document.components.headers)).toEqual(
      expect.arrayContaining(['XRequestId', 'ServerTiming', 'RetryAfter', 'WWWAuthenticate', 'Traceparent'])
    )
  })

  test('every error status shows an example of each code it can carry', () => {
    const predict: Json = document.paths['/v1/predict'].post.responses
    for (const [status, response] of Object.entries(predict)) {
      if (Number(status) < 400) continue
      const examples: Json = response.content['application/json'].examples
      const expected = Object.entries(ERROR_CATALOGUE)
        .filter(([, e]) => e.status === Number(status))
        .map(([code]) => code)
      expect(Object.keys(examples).sort(), status).toEqual(expected.sort())
      for (const code of expected) expect(examples[code].value.error.code).toBe(code)
    }
  })
})

describe('the typed client (openapi-typescript + openapi-fetch)', () => {
  test('the committed types match the document (else: bun tools/openapi/generate-client.ts)', async () => {
    const generated = await openapiTypes(document)
    expect(generated).toContain('class_index: number;')
    expect(generated).toContain('image: Blob[];')
    expect(generated).toBe(await Bun.file(GENERATED_TYPES).text())
  })

  test('predicts from a multipart upload and from JSON, and reads an error, with no casts', async () => {
    const client = bunInferClient(server.url)
    const photo = Bun.file(join(IMAGES, 'chelsea.jpg'))
    const upload = await client.POST('/v1/predict', { body: { image: [photo], top_k: 3 }, bodySerializer: multipart })
    expect(upload.response.status).toBe(200)
    expect(CAT_CLASSES).toContain(upload.data?.predictions[0]?.[0]?.class_index ?? -1)
    expect(upload.data?.predictions[0]).toHaveLength(3)

    const json = await client.POST('/v1/models/{name}/predict', {
      params: { path: { name: 'shufflenetv2' } },
      body: { image: base64(await imageBytes('chelsea.jpg')), top_k: 2 }
    })
    expect(json.response.status).toBe(200)
    expect(json.data?.model).toBe('shufflenetv2')
    expect(json.data?.metadata.batch_size).toBeGreaterThanOrEqual(1)

    const refused = await client.POST('/v1/predict', { body: { image: [new Blob(['not a photo'])] }, bodySerializer: multipart })
    expect(refused.response.status).toBe(415)
    expect(refused.error?.error.code).toBe('unsupported_image_format')
    expect(refused.data).toBeUndefined()
  })

  test('the client, its example and this test contain no type casts', async () => {
    for (const file of [
      join(import.meta.dir, '../../examples/typescript/client.ts'),
      join(import.meta.dir, '../../examples/typescript/classify.ts'),
      import.meta.path
    ]) {
      const code = (await Bun.file(file).text()).replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '').replace(/'[^'\n]*'/g, "''")
      expect(code, file).not.toMatch(/\bas (?!const\b)[A-Za-z{[]/)
    }
  })
})

describe('examples/python/classify.py (requests)', () => {
  const script = join(import.meta.dir, '../../examples/python/classify.py')
  const run = (...args: string[]) => Bun.spawn(['python3', script, '--url', server.url, ...args], { stdout: 'pipe', stderr: 'pipe' })

  test('prints one JSON line per photo, cats for chelsea', async () => {
    const proc = run('--model', 'shufflenetv2', '--top-k', '2', join(IMAGES, 'chelsea.jpg'), join(IMAGES, 'rocket.jpg'))
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(code, err).toBe(0)
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((l) => l.file)).toEqual([join(IMAGES, 'chelsea.jpg'), join(IMAGES, 'rocket.jpg')])
    expect(lines[0].model).toBe('shufflenetv2')
    expect(lines[0].predictions).toHaveLength(2)
    expect(CAT_CLASSES).toContain(lines[0].predictions[0].class_index)
  })

  test('an error: exit 1 with the stable code on stderr', async () => {
    const proc = run(join(import.meta.dir, '../../package.json'))
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
    expect(code).toBe(1)
    expect(err).toContain('415 unsupported_image_format')
  })
})
