import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CAT_CLASSES, IMAGES } from '../helpers/requests'
import { startServerProcess } from '../helpers/server-process'

// The CLI as a user runs it, on the fixture photos plus files that must fail, with the real models.
const ROOT = join(import.meta.dir, '../..')
let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bun-infer-classify-'))
  writeFileSync(join(scratch, 'notes.txt'), 'not a photo\n')
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

async function classify(...args: string[]) {
  const proc = Bun.spawn(['bun', 'src/cli/classify.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, BUN_INFER_WORKERS: '1' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe'
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code }
}

describe('bun run classify', () => {
  test('a folder of photos: JSONL, one line each, exit 0, a summary with images/s and no progress bar in a pipe', async () => {
    const { stdout, stderr, code } = await classify('--top-k', '3', IMAGES)
    expect(code, stderr).toBe(0)
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((l) => l.file).sort()).toEqual(['chelsea.jpg', 'chelsea.png', 'coffee.png', 'rocket.jpg'].map((f) => join(IMAGES, f)))
    const chelsea = lines.find((l) => l.file.endsWith('chelsea.jpg'))
    expect(chelsea.model).toBe('mobilenetv2')
    expect(chelsea.predictions).toHaveLength(3)
    expect(CAT_CLASSES).toContain(chelsea.predictions[0].class_index)
    expect(stderr).toMatch(/^4 images in [\d.]+ s: [\d.]+ images\/s; 0 failed\n$/)
  }, 60_000)

  test('a bad file and a missing one: reported by code, the others still classified, exit 1', async () => {
    const { stdout, stderr, code } = await classify(
      '--format',
      'csv',
      '--model',
      'shufflenetv2',
      join(IMAGES, 'chelsea.jpg'),
      join(scratch, 'notes.txt'),
      join(scratch, 'gone.jpg')
    )
    expect(code).toBe(1)
    const rows = stdout.trim().split('\n')
    expect(rows[0]).toBe('file,model,model_version,rank,label,class_index,score,error_code,error_message')
    expect(rows.filter((r) => r.startsWith(join(IMAGES, 'chelsea.jpg') + ',shufflenetv2,'))).toHaveLength(5)
    expect(rows.find((r) => r.startsWith(join(scratch, 'notes.txt')))).toContain(',unsupported_image_format,')
    expect(rows.find((r) => r.startsWith(join(scratch, 'gone.jpg')))).toContain(',unreadable_file,')
    expect(stderr).toContain('3 images in')
    expect(stderr).toContain('2 failed (unreadable_file 1, unsupported_image_format 1)')
  }, 60_000)

  test('usage errors exit 2 with the usage; an unknown model is named', async () => {
    const none = await classify()
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('usage: bun run classify')
    const unknown = await classify('--model', 'resnet9000', IMAGES)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no model "resnet9000"')
  }, 60_000)

  test('--server: the photos go to a running server as one job, and come back in order with the same answers', async () => {
    const server = await startServerProcess()
    try {
      const files = [join(IMAGES, 'chelsea.jpg'), join(scratch, 'notes.txt'), join(scratch, 'gone.jpg'), join(IMAGES, 'coffee.png')]
      const remote = await classify('--server', server.url, '--top-k', '2', ...files)
      expect(remote.code).toBe(1)
      const lines = remote.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      // The unreadable file is known before the upload; the rest come back in the order they were sent.
      expect(lines.map((l) => l.file)).toEqual([files[2], files[0], files[1], files[3]])
      expect(lines[1].model).toBe('mobilenetv2')
      expect(lines[1].predictions).toHaveLength(2)
      expect(lines[2].error.code).toBe('unsupported_image_format')
      expect(remote.stderr).toContain('2 failed (unreadable_file 1, unsupported_image_format 1)')
      // The same photo, classified here: the same labels (same model, same machine).
      const local = await classify('--top-k', '2', files[0]!)
      expect(JSON.parse(local.stdout).predictions.map((p: { label: string }) => p.label)).toEqual(
        lines[1].predictions.map((p: { label: string }) => p.label)
      )
    } finally {
      await server.stop('SIGTERM')
    }
  }, 60_000)
})
