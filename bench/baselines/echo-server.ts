/**
 * What HTTP itself costs on this machine at a lone request's service time: a server that does nothing but read the
 * body, keep its thread busy for `--hold-ms`, and answer a fixed prediction. Its client-side p50 minus the hold is the
 * round trip any HTTP server pays here over an in-process measurement (loopback, Bun's HTTP server, the load
 * generator, and the wake-ups between them), which is what the 1-connection target "p50 ≤ floor + 1 ms" compares
 * across: the paired rounds measure it beside the server (lib/paired.ts). Busy, not asleep: a lone request keeps the
 * server's cores working for its whole time, and a sleeping server lets the machine idle in a way no real one does.
 *
 *   bun bench/baselines/echo-server.ts --hold-ms 14 [--port 0]   → prints {"msg":"ready","port":N}
 */
const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}
const port = flag('--port', 0)
const holdMs = flag('--hold-ms', 0)
if (!(holdMs >= 0)) throw new Error(`--hold-ms must be a number of milliseconds ≥ 0, got ${process.argv.join(' ')}`)

// The size and shape of the server's answer for one image, top 5.
const answer = JSON.stringify({
  model: 'mobilenetv2',
  model_version: '1',
  predictions: [
    [
      { label: 'tabby', class_index: 281, score: 0.5 },
      { label: 'tiger cat', class_index: 282, score: 0.2 },
      { label: 'Egyptian cat', class_index: 285, score: 0.1 },
      { label: 'lynx', class_index: 287, score: 0.05 },
      { label: 'Persian cat', class_index: 283, score: 0.01 }
    ]
  ]
})

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  maxRequestBodySize: 64 * 1024 * 1024,
  async fetch(request) {
    if (new URL(request.url).pathname === '/health/ready') return Response.json({ status: 'ok' })
    await request.bytes()
    const until = performance.now() + holdMs
    while (performance.now() < until) {
      // busy: the thread holds its core for the hold, as inference would
    }
    return new Response(answer, { headers: { 'content-type': 'application/json' } })
  }
})
console.log(JSON.stringify({ msg: 'ready', port: server.port }))
