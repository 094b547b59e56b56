/**
 * What HTTP alone adds to a request on this machine, by service time (issue 13): the echo server
 * (baselines/echo-server.ts) holds each request busy for a given time and answers a fixed prediction; the bench's
 * own client (autocannon, 1 connection, the multipart chelsea.jpg) measures it. p50 − hold is the round trip any HTTP
 * server pays here over an in-process measurement. Holds alternate in rounds so the host's swings land on all.
 * Not a test: run by hand,
 *
 *   bun bench/micro/http-round-trip.ts [rounds = 3] [holds ms = 0,1,5,14]
 */
import { resolve } from 'node:path'
import { runLoad } from '../lib/load'
import { buildPayload } from '../lib/payloads'
import { summarise } from '../lib/stats'
import { median } from '../lib/paired-targets'
import type { ServerProcess } from '../../tools/process/launch'
import { startEcho } from '../lib/contenders'

const ROOT = resolve(import.meta.dir, '../..')
const rounds = Number(process.argv[2] ?? 3)
const holds = (process.argv[3] ?? '0,1,5,14').split(',').map(Number)
const payload = await buildPayload(ROOT, 'jpeg')

const servers: ServerProcess[] = []
try {
  for (const hold of holds) servers.push(await startEcho(hold, ROOT))
  const overHold = holds.map(() => [] as number[])
  for (let round = 0; round < rounds; round++)
    for (let k = 0; k < holds.length; k++) {
      const i = (round + k) % holds.length
      const { latenciesMs } = await runLoad({
        url: servers[i]!.url,
        payload,
        connections: 1,
        durationS: 3,
        settleS: 0.5,
        label: '',
        quiet: true
      })
      overHold[i]!.push(summarise(latenciesMs).p50 - holds[i]!)
    }
  console.log('| hold ms | p50 − hold ms (median of rounds) | rounds |\n| --- | --- | --- |')
  holds.forEach((hold, i) =>
    console.log(`| ${hold} | ${median(overHold[i]!).toFixed(2)} | ${overHold[i]!.map((v) => v.toFixed(2)).join(', ')} |`)
  )
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}
