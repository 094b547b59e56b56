/**
 * What bun-infer's HTTP layer costs a lone request, measured on one server so the host's noise lands on both
 * sides alike. One process serves the real app (src/server.ts's `assembleServer`, every plugin and hook, the request gate,
 * the body reader, Elysia's response check) and, beside it on the same Bun.serve, `POST /bare`: the bare
 * minimum over the same predictor (one `request.bytes()`, the multipart split, `predictor.predict`, `Response.json`).
 * A client in this process then sends the bench's multipart chelsea.jpg one request at a time, alternating
 * between the two routes (the order swapping each pair, a 2 ms pause before each), and prints both p50s and their
 * difference, and the CPU time the server's HTTP thread spent per request on each route (its schedstat, read in the
 * pause before each request, so the after-response hooks are counted). Not a test: run by hand,
 *
 *   bun bench/micro/http-layer.ts [pairs = 1000]
 */
import { resolve } from 'node:path'
import { loadConfig } from '../../src/config/load'
import { boundaryOf, parseMultipart } from '../../src/http/multipart'
import { toPredictBody } from '../../src/http/predict-response'
import { createLogger } from '../../src/log'
import { assembleServer } from '../../src/server'
import { launch } from '../../tools/process/launch'
import { mainThreadCpuNs } from '../../tools/process/procfs'
import { buildPayload } from '../lib/payloads'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')

/** The server half: the app as src/server.ts wires it (here no tracing, no keys, no cache reads: no-store), plus /bare. */
async function serve(): Promise<void> {
  const env = { ...process.env, BUN_INFER_LOG_LEVEL: 'warn', BUN_INFER_HOST: '127.0.0.1', BUN_INFER_PORT: '0' }
  const config = loadConfig(env, [])
  const { app, predictor, start } = await assembleServer(config, createLogger(config.logLevel))
  const bare = async (request: Request) => {
    const body = await request.bytes()
    const [part] = parseMultipart(body, boundaryOf(request.headers.get('content-type') ?? '') ?? '')
    const result = await predictor.predict(config.defaultModel, undefined, [part!.data], { topK: config.defaultTopK, cache: 'off' })
    return Response.json(toPredictBody(result, 'bare'))
  }
  // Elysia hands its routes to Bun's own router and merges these in: /bare is served beside the app, not through it.
  ;(app.config as { serve?: object }).serve = { routes: { '/bare': { POST: bare } } }
  await start()
}

async function measure(pairs: number): Promise<void> {
  const payload = await buildPayload(ROOT, 'jpeg')
  const server = await launch({ cmd: ['bun', import.meta.path, '--serve'] })
  const routes = { app: '/v1/predict', bare: '/bare' } as const
  const latencies = { app: [] as number[], bare: [] as number[] }
  const threadCpuMs = { app: [] as number[], bare: [] as number[] }
  let previous: { route: keyof typeof routes; ns: number } | undefined
  const send = async (route: keyof typeof routes) => {
    await Bun.sleep(2) // a lone request: it finds the server idle
    const ns = mainThreadCpuNs(server.pid) // the HTTP thread is the process's main thread
    if (previous) threadCpuMs[previous.route].push((ns - previous.ns) / 1e6)
    previous = { route, ns }
    const started = performance.now()
    const response = await fetch(server.url + routes[route], {
      method: 'POST',
      body: new Uint8Array(payload.body),
      headers: { 'content-type': payload.contentType, 'cache-control': 'no-store' }
    })
    await response.text()
    if (response.status !== 200) throw new Error(`${routes[route]}: ${response.status}`)
    return performance.now() - started
  }
  try {
    for (let i = 0; i < 20; i++) await send(i % 2 ? 'app' : 'bare') // warm-up, not kept
    threadCpuMs.app.length = threadCpuMs.bare.length = 0
    for (let i = 0; i < pairs; i++)
      for (const route of i % 2 ? (['app', 'bare'] as const) : (['bare', 'app'] as const)) latencies[route].push(await send(route))
  } finally {
    await server.stop()
  }
  const app = summarise(latencies.app)
  const bare = summarise(latencies.bare)
  const cpu = { app: summarise(threadCpuMs.app).p50, bare: summarise(threadCpuMs.bare).p50 }
  console.log(`| route | p50 ms | p90 ms | HTTP-thread CPU ms per request (p50) |\n| --- | --- | --- | --- |`)
  console.log(`| the app (POST /v1/predict) | ${app.p50.toFixed(3)} | ${app.p90.toFixed(3)} | ${cpu.app.toFixed(3)} |`)
  console.log(`| bare (POST /bare) | ${bare.p50.toFixed(3)} | ${bare.p90.toFixed(3)} | ${cpu.bare.toFixed(3)} |`)
  console.log(
    `\nthe HTTP layer: ${(app.p50 - bare.p50).toFixed(3)} ms at p50 and ${(cpu.app - cpu.bare).toFixed(3)} ms of HTTP-thread CPU ` +
      `per request, over ${pairs} pairs`
  )
}

if (process.argv.includes('--serve')) await serve()
else await measure(Number(process.argv[2] ?? 1000))
