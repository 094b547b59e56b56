import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testApp } from '../helpers/test-app'

const dir = mkdtempSync(join(tmpdir(), 'jobs-openapi-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('bulk jobs in the OpenAPI document', () => {
  test('every job route, its bodies and its errors', async () => {
    const spec = (await (await testApp({ jobs: { dataDir: dir } }).request('/openapi.json')).json()) as any
    const submit = spec.paths['/v1/jobs'].post
    expect(Object.keys(submit.requestBody.content)).toEqual(['multipart/form-data', 'application/x-tar'])
    for (const status of ['202', '400', '404', '413', '415', '422', '429']) expect(submit.responses[status]).toBeDefined()
    expect(Object.keys(spec.paths['/v1/jobs/{id}']).sort()).toEqual(['delete', 'get'])
    expect(Object.keys(spec.paths['/v1/jobs/{id}/results'].get.responses['200'].content)).toEqual(['application/x-ndjson'])
    expect(spec.tags.map((t: { name: string }) => t.name)).toContain('jobs')
  })
})
