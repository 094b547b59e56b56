/**
 * How long a postMessage takes to reach a Bun worker thread, and its answer to come back, after the threads
 * sat idle for 0, 2 or 10 ms (issue 13: a lone request always finds its worker asleep). The message carries
 * a 224 × 224 RGB image, as a batch of one does. Clocks: performance.timeOrigin + now() on both threads.
 * Not a test: run by hand,
 *
 *   bun bench/micro/wake-latency.ts [messages per gap = 300]
 */
const count = Number(process.argv[2] ?? 300)
const now = () => performance.timeOrigin + performance.now()
const worker = new Worker(new URL('./wake-latency-worker.ts', import.meta.url).href)
let answer: (reply: { sent: number; arrived: number; replied: number; back: number }) => void = () => {}
worker.onmessage = (event) => answer({ ...event.data, back: now() })
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(1)

console.log('| idle before ms | main → worker p50 µs | worker → main p50 µs |')
console.log('| --- | --- | --- |')
for (const gap of [0, 2, 10]) {
  const there: number[] = []
  const back: number[] = []
  for (let i = 0; i < count + 20; i++) {
    if (gap > 0) await Bun.sleep(gap)
    const image = new Uint8Array(224 * 224 * 3)
    const reply = await new Promise<Parameters<typeof answer>[0]>((resolve) => {
      answer = resolve
      worker.postMessage({ sent: now(), image }, [image.buffer])
    })
    if (i < 20) continue // warm-up
    there.push((reply.arrived - reply.sent) * 1000)
    back.push((reply.back - reply.replied) * 1000)
  }
  console.log(`| ${gap} | ${p50(there)} | ${p50(back)} |`)
}
worker.terminate()
