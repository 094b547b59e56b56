import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BACKLOG_QUERY, BACKLOG_TARGET_PER_REPLICA } from '../../../deploy/k8s/settings'
import { scrapedValue } from '../../helpers/metrics'
import { imageBytes, multipart } from '../../helpers/requests'
import { startServerProcess, type ServerProcess } from '../../helpers/server-process'
import { SteadyLoad } from '../../helpers/steady-load'

// The shipped scaler and alert on the real signal: a real server flooded with small photos, scraped, and its
// backlog fed to `promtool test rules` with the shipped alert rules and the KEDA query, next to what a light load
// scrapes. Both must cross their thresholds under the flood and stay below them at light load.
const PROMTOOL = Bun.which('promtool')
const ALERTS = join(import.meta.dir, '../../../deploy/prometheus/alerts.yml')
const BACKLOG = 'bun_infer_backlog_images{model="mobilenetv2",version="1"}'

let server: ServerProcess
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autoscaling-signal-'))
  server = await startServerProcess({ BUN_INFER_WORKERS: '1', BUN_INFER_MAX_CACHE_ENTRIES: '0' })
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('the backlog drives the scaler and the saturation alert', () => {
  test('light load stays below both; a flood of small photos crosses both', async () => {
    const cat = await imageBytes('chelsea.jpg')
    const send = () => fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })

    // Light: one client at a time; the highest backlog any scrape saw.
    const light = new SteadyLoad(1, send)
    let lightBacklog = 0
    for (let i = 0; i < 10; i++) {
      await light.more(1)
      lightBacklog = Math.max(lightBacklog, await scrapedValue(server.url, `bun_infer_backlog_images{model="mobilenetv2",version="1"}`))
    }
    await light.stop()

    // A flood: 320 small photos at once on one worker; scrape while the backlog is at its height.
    const flood = Array.from({ length: 320 }, () => send().then((r) => r.status))
    let floodBacklog = 0
    let queueDepth = 0
    for (let i = 0; i < 200 && floodBacklog < 0.8 * 256; i++) {
      const text = await (await fetch(`${server.url}/metrics`)).text()
      const value = (name: string) =>
        Number(
          text
            .split('\n')
            .find((line) => line.startsWith(`${name} `))
            ?.split(' ')[1] ?? 0
        )
      floodBacklog = Math.max(floodBacklog, value(BACKLOG))
      queueDepth = Math.max(queueDepth, value('bun_infer_queue_depth{model="mobilenetv2",version="1"}'))
    }
    const statuses = await Promise.all(flood)
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true)
    expect(floodBacklog).toBeGreaterThan(lightBacklog)
    // The queue of decoded images stays a few batches long whatever the flood: it could never fire the alert.
    expect(queueDepth).toBeLessThan(0.8 * 256)
    console.log(`backlog: light ${lightBacklog}, flood ${floodBacklog}; queue depth at the flood ${queueDepth}`)

    const series = (instance: string, value: number) =>
      `      - series: 'bun_infer_backlog_images{job="bun-infer",instance="${instance}",model="mobilenetv2",version="1"}'\n        values: '${value}x15'`
    const keda = `${BACKLOG_QUERY} > ${BACKLOG_TARGET_PER_REPLICA}`
    const file = join(dir, 'signal.test.yml')
    writeFileSync(
      file,
      `rule_files:
  - ${ALERTS}
evaluation_interval: 1m
tests:
  - name: flood
    interval: 1m
    input_series:
${series('flooded:8080', floodBacklog)}
    alert_rule_test:
      - eval_time: 10m
        alertname: BunInferQueueSaturated
        exp_alerts:
          - exp_labels: { severity: warning, job: bun-infer, instance: 'flooded:8080', model: mobilenetv2, version: '1' }
            exp_annotations:
              summary: 'bun-infer flooded:8080: mobilenetv2 v1 backlog at ${floodBacklog} of 256 images'
              description: 'Images wait for a worker; past 256 requests get 429 queue_full. Add replicas or workers.'
    promql_expr_test:
      - expr: '${keda}'
        eval_time: 10m
        exp_samples:
          - labels: '{}'
            value: ${floodBacklog}
  - name: light
    interval: 1m
    input_series:
${series('light:8080', lightBacklog)}
    alert_rule_test:
      - eval_time: 10m
        alertname: BunInferQueueSaturated
        exp_alerts: []
    promql_expr_test:
      - expr: '${keda}'
        eval_time: 10m
        exp_samples: []
`
    )
    if (PROMTOOL === null) throw new Error('promtool is not on PATH (Debian: apt-get install -y prometheus)')
    const run = Bun.spawnSync([PROMTOOL, 'test', 'rules', file])
    const output = run.stdout.toString() + run.stderr.toString()
    expect(output).toContain('SUCCESS')
    expect(run.exitCode).toBe(0)
  }, 60_000)
})
