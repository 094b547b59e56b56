/**
 * Leaks across reloads: a server on a copy of the repository serves steady traffic while a model's
 * newest version folder is replaced N times (add version k+1, load: it becomes the default; remove version k,
 * load: it drains and its sessions are freed). Prints RSS after a full warm-up cycle and after the last one.
 *
 *   bun bench/reload-cycles.ts [--cycles 20] [--model shufflenetv2]
 */
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { tempModelRepo } from '../tools/model-repo'
import { launch } from '../tools/process/launch'
import { rssBytes } from '../tools/process/procfs'

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '20' }, model: { type: 'string', default: 'shufflenetv2' } } })
const cycles = Number(values.cycles)
const model = values.model!
const ADMIN = 'admin-key-reload-cycles-0123'
const repo = tempModelRepo()
const server = await launch({
  env: { BUN_INFER_MODELS_DIR: repo.dir, BUN_INFER_REPOSITORY_API: 'true', BUN_INFER_ADMIN_KEYS: ADMIN, BUN_INFER_LOG_LEVEL: 'warn' }
})
const photo = await Bun.file(join(import.meta.dir, '../test/fixtures/images/chelsea.jpg')).bytes()
const mb = () => (rssBytes(server.pid) ?? NaN) / 1024 / 1024
const load = async () => {
  const response = await fetch(`${server.url}/v2/repository/models/${model}/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` }
  })
  if (response.status !== 200) throw new Error(`load: ${response.status} ${await response.text()}`)
}
const outcomes: Record<string, number> = {}
let running = true
const traffic = Array.from({ length: 2 }, async () => {
  while (running) {
    const body = new FormData()
    body.append('image', new Blob([photo]), 'cat.jpg')
    const response = await fetch(`${server.url}/v1/models/${model}/predict`, {
      method: 'POST',
      body,
      headers: { 'cache-control': 'no-store' }
    })
    await response.arrayBuffer()
    outcomes[response.status] = (outcomes[response.status] ?? 0) + 1
  }
})
/** One cycle: version `from` → `from + 1`. */
async function cycle(from: number): Promise<void> {
  cpSync(join(repo.dir, model, String(from)), join(repo.dir, model, String(from + 1)), { recursive: true })
  await load()
  rmSync(join(repo.dir, model, String(from)), { recursive: true })
  await load()
}
try {
  await cycle(1) // warm-up: allocators and arenas reach their working size
  Bun.sleepSync(500)
  const before = mb()
  const samples: number[] = []
  for (let v = 2; v < 2 + cycles; v++) {
    await cycle(v)
    samples.push(mb())
  }
  Bun.sleepSync(500)
  const after = mb()
  running = false
  await Promise.all(traffic)
  console.log(`\`bun bench/reload-cycles.ts --cycles ${cycles} --model ${model}\` · ${new Date().toISOString()}`)
  console.log(
    `RSS after the warm-up cycle ${before.toFixed(1)} MB, after ${cycles} more cycles ${after.toFixed(1)} MB (${(((after - before) / before) * 100).toFixed(1)} %); max during ${Math.max(...samples).toFixed(1)} MB`
  )
  console.log(`requests during the cycles: ${JSON.stringify(outcomes)}`)
} finally {
  running = false
  await server.stop()
  repo.dispose()
}
