import { afterAll, beforeAll, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CAT_CLASSES, imageBytes, multipart, type PredictBody } from '../../helpers/requests'
import { launch, type ServerProcess } from '../../../tools/process/launch'

// The Dockerfile's steps without a container engine: the files its COPY lines name, a production install
// in a clean folder, the server started from there. A file the image needs but the Dockerfile forgets to
// copy, or a runtime import of a devDependency, fails here as it would in the image.
const ROOT = join(import.meta.dir, '../../..')
const INSTALL = 'bun install --frozen-lockfile --production'

let dockerfile: string
let folder: string
let server: ServerProcess | undefined

/** Sources of the COPY lines that copy from the build context (not `--from` another stage). */
function copiedFromContext(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
}

beforeAll(async () => {
  dockerfile = await Bun.file(join(ROOT, 'Dockerfile')).text()
  folder = mkdtempSync(join(tmpdir(), 'bun-infer-image-'))
  for (const source of copiedFromContext(dockerfile)) cpSync(join(ROOT, source), join(folder, source), { recursive: true })
  // The same command as the image's deps stage (checked below); Bun's package cache makes it quick.
  const install = Bun.spawnSync(INSTALL.split(' '), { cwd: folder, stdout: 'pipe', stderr: 'pipe' })
  if (install.exitCode !== 0) throw new Error(`${INSTALL} failed: ${install.stderr.toString()}`)
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (folder) rmSync(folder, { recursive: true, force: true })
})

test('the Dockerfile installs production dependencies only, runs as a user, checks health, and execs bun', () => {
  expect(copiedFromContext(dockerfile)).toEqual(['package.json', 'bun.lock', 'package.json', 'tsconfig.json', 'src', 'models'])
  expect(dockerfile).toContain(`RUN ${INSTALL}`)
  expect(dockerfile).toMatch(/^FROM oven\/bun:\d+\.\d+\.\d+-slim/m)
  expect(dockerfile).toMatch(/^USER (?!root)\w+/m)
  expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m)
  // Exec form: no shell as PID 1 to swallow SIGTERM.
  expect(dockerfile).toMatch(/^ENTRYPOINT \["bun", "src\/main.ts"\]$/m)
  expect(dockerfile).toMatch(/^LABEL org\.opencontainers\.image\.title=/m)
})

// elysia declares these as optional peers and bun installs them; nothing loads them at runtime.
const PEER_OF_A_DEPENDENCY = new Set(['@types/bun', 'typescript'])

test('the production install holds no devDependency', async () => {
  const { devDependencies } = await Bun.file(join(ROOT, 'package.json')).json()
  const installed = Object.keys(devDependencies).filter((name) => existsSync(join(folder, 'node_modules', name)))
  expect(installed.filter((name) => !PEER_OF_A_DEPENDENCY.has(name))).toEqual([])
  expect(existsSync(join(folder, 'node_modules', 'onnxruntime-node'))).toBe(true)
})

test('the server starts from the clean folder, gets ready, and classifies a photo', async () => {
  server = await launch({ env: { BUN_INFER_WORKERS: '1', NODE_ENV: 'production' }, cwd: folder })
  expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
  const response = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as PredictBody
  expect(CAT_CLASSES).toContain(body.predictions[0]![0]!.class_index)
}, 60_000)
