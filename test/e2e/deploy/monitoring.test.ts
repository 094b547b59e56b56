import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parsePrometheus, type Sample } from '../../../bench/lib/promtext'
import { freePort } from '../../../tools/process/redis-server'
import { imageBytes, multipart } from '../../helpers/requests'
import { startServerProcess, type ServerProcess } from '../../helpers/server-process'
import { metricUses, type MetricUse } from './promql-names'
import { prometheusAdapterRules } from '../../../deploy/k8s/autoscaling'
import { BACKLOG_QUERY } from '../../../deploy/k8s/settings'

const DEPLOY = join(import.meta.dir, '../../../deploy')
// Debian's `prometheus` package installs promtool in /usr/bin.
const PROMTOOL = Bun.which('promtool')
// Labels Prometheus attaches to every series of a target (on Kubernetes also its namespace and pod);
// the server never exposes them itself.
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod'])

function promtool(...args: string[]): { code: number; output: string } {
  if (PROMTOOL === null) throw new Error('promtool is not on PATH (Debian: apt-get install -y prometheus)')
  const run = Bun.spawnSync([PROMTOOL, ...args], { cwd: join(DEPLOY, 'prometheus') })
  return { code: run.exitCode, output: run.stdout.toString() + run.stderr.toString() }
}

describe('promtool', () => {
  test.each([
    ['check config', ['check', 'config', 'prometheus.yml']],
    ['check rules', ['check', 'rules', 'alerts.yml']],
    ['test rules (a test firing and one silent for every alert)', ['test', 'rules', 'alerts.test.yml']]
  ])('%s', (_name, args) => {
    const { code, output } = promtool(...args)
    expect(output).toContain('SUCCESS')
    expect(code).toBe(0)
  })
})

/** Every PromQL expression an operator sees or scales on: alert rules, dashboard panels, autoscaling queries. */
async function expressions(): Promise<Array<{ where: string; expr: string }>> {
  const rules = Bun.YAML.parse(await Bun.file(join(DEPLOY, 'prometheus/alerts.yml')).text()) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>
  }
  const dashboard = (await Bun.file(join(DEPLOY, 'grafana/dashboards/bun-infer.json')).json()) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>
  }
  return [
    ...rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
    { where: 'KEDA ScaledObject', expr: BACKLOG_QUERY },
    ...prometheusAdapterRules().rules.custom.map((rule) => ({ where: 'prometheus-adapter rule', expr: rule.seriesQuery }))
  ]
}

/** Uses whose metric is not in the scrape, or whose matcher names a label the metric does not carry. */
function unknownUses(uses: MetricUse[], samples: Sample[]): string[] {
  const labelsOf = new Map<string, Set<string>>()
  for (const sample of samples) {
    const labels = labelsOf.get(sample.name) ?? new Set<string>()
    for (const label of Object.keys(sample.labels)) labels.add(label)
    labelsOf.set(sample.name, labels)
  }
  const unknown: string[] = []
  for (const { metric, labels } of uses) {
    if (metric === 'up') continue // made by Prometheus for every target
    const known = labelsOf.get(metric)
    if (!known) unknown.push(metric)
    else for (const label of labels) if (!known.has(label) && !TARGET_LABELS.has(label)) unknown.push(`${metric}{${label}}`)
  }
  return unknown
}

describe('every metric the dashboard, the alerts and the autoscalers read exists in a real scrape', () => {
  let server: ServerProcess
  let samples: Sample[]

  beforeAll(async () => {
    // The cache on, with a Redis that is not there: the shared tier's error counter has a sample too.
    // Drift from a reference of 10 predictions, computed every second: its gauges have series too.
    server = await startServerProcess({
      BUN_INFER_WORKERS: '1',
      BUN_INFER_MAX_CACHE_ENTRIES: '100',
      BUN_INFER_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      BUN_INFER_DRIFT_REFERENCE_PREDICTIONS: '10',
      BUN_INFER_DRIFT_MIN_WINDOW_PREDICTIONS: '1',
      BUN_INFER_DRIFT_INTERVAL_MS: '1000'
    })
    // Ten predictions (the cache answers nine: they are logged too), so the histograms and the drift have series.
    const cat = await imageBytes('chelsea.jpg')
    const response = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      body: multipart(Array.from({ length: 10 }, () => ({ bytes: cat })))
    })
    expect(response.status).toBe(200)
    // The drift gauge appears once the records are written and the monitor's next pass ran (a condition, bounded).
    for (let scrape = 0; ; scrape++) {
      samples = parsePrometheus(await (await fetch(`${server.url}/metrics`)).text())
      if (samples.some((s) => s.name === 'bun_infer_prediction_drift') || scrape === 100) break
      await Bun.sleep(50) // polling a condition (the gauge), bounded by 100 scrapes
    }
  }, 30_000)

  afterAll(async () => {
    await server?.stop()
  })

  test('alert rules, dashboard panels, KEDA and prometheus-adapter queries', async () => {
    const all = await expressions()
    expect(all.filter((e) => e.where.startsWith('alert')).length).toBe(8)
    expect(all.filter((e) => e.where.startsWith('panel')).length).toBeGreaterThanOrEqual(10)
    const problems = all.flatMap(({ where, expr }) => unknownUses(metricUses(expr), samples).map((name) => `${where}: ${name}`))
    expect(problems).toEqual([])
  })

  test('the check catches a misspelled metric and a label the metric does not have', () => {
    expect(unknownUses(metricUses('rate(bun_infer_http_request_total[5m])'), samples)).toEqual(['bun_infer_http_request_total'])
    expect(unknownUses(metricUses('bun_infer_queue_depth{stage="queue"}'), samples)).toEqual(['bun_infer_queue_depth{stage}'])
  })
})
