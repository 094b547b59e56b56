import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { envName } from '../../src/config/load'
import { ConfigSchema } from '../../src/config/schema'
import { horizontalPodAutoscaler, prometheusAdapterRules } from '../../deploy/k8s/autoscaling'
import { serviceMonitor } from '../../deploy/k8s/monitoring'
import { renderManifests } from '../../deploy/k8s/render'
import { CACHE_NAMESPACE, DRAIN_TIMEOUT_MS, PRESTOP_SLEEP_SECONDS, TRUSTED_PROXIES } from '../../deploy/k8s/settings'
import { configMap, deployment, REDIS_SECRET, service } from '../../deploy/k8s/workload'

const DEPLOY = join(import.meta.dir, '../../deploy')
const KNOWN_ENV = new Set(Object.keys(ConfigSchema.properties).map(envName))

describe('Kubernetes and KServe manifests', () => {
  test.each([...renderManifests()])('committed %s is the render of the typed objects', async (path, rendered) => {
    // On a difference: run `bun deploy/k8s/render.ts` and commit the result.
    expect(await Bun.file(join(DEPLOY, path)).text()).toBe(rendered)
  })

  test('Kubernetes waits for preStop and the whole drain before SIGKILL', () => {
    const pod = deployment().spec!.template.spec!
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(DRAIN_TIMEOUT_MS + PRESTOP_SLEEP_SECONDS * 1000)
    expect(configMap().data!.BUN_INFER_DRAIN_TIMEOUT_MS).toBe(String(DRAIN_TIMEOUT_MS))
    const container = pod.containers[0]!
    expect(container.livenessProbe!.httpGet!.path).toBe('/health/live')
    expect(container.readinessProbe!.httpGet!.path).toBe('/health/ready')
  })

  test('every variable the pod gets is a setting the server knows', () => {
    const container = deployment().spec!.template.spec!.containers[0]!
    const names = [...Object.keys(configMap().data!), ...container.env!.map((e) => e.name)]
    expect(names.filter((name) => !KNOWN_ENV.has(name))).toEqual([])
  })

  test('X-Forwarded-For is trusted from what settings.ts names (nothing by default), never a whole pod network', () => {
    expect(configMap().data!.BUN_INFER_TRUSTED_PROXIES).toBe(TRUSTED_PROXIES.join(','))
    // A node's pod range is a /24 (IPv6: a /64); anything wider holds pods other than the ingress controller.
    const tooWide = TRUSTED_PROXIES.filter((entry) => {
      const [address, bits] = entry.split('/')
      return bits !== undefined && Number(bits) < (address!.includes(':') ? 64 : 24)
    })
    expect(tooWide).toEqual([])
  })

  test('the Redis URL and its password come from a Secret, never the ConfigMap; keys carry the namespace', () => {
    const env = deployment().spec!.template.spec!.containers[0]!.env!
    expect(env.find((e) => e.name === 'BUN_INFER_REDIS_URL')!.valueFrom!.secretKeyRef).toEqual({ name: REDIS_SECRET, key: 'url' })
    expect(Object.keys(configMap().data!)).not.toContain('BUN_INFER_REDIS_URL')
    for (const [path, text] of renderManifests()) expect({ path, redisUrl: /redis:\/\//.test(text) }).toEqual({ path, redisUrl: false })
    expect(configMap().data!.BUN_INFER_CACHE_NAMESPACE).toBe(CACHE_NAMESPACE)
  })

  test('Service and ServiceMonitor select the pods; the HPA reads the metric the adapter serves', () => {
    const podLabels = deployment().spec!.template.metadata!.labels!
    expect(podLabels).toMatchObject(service().spec!.selector!)
    expect(service().metadata!.labels).toMatchObject(serviceMonitor().spec.selector.matchLabels!)
    expect(horizontalPodAutoscaler().spec!.metrics![0]!.pods!.metric.name).toBe(prometheusAdapterRules().rules.custom[0]!.name.as)
  })
})

describe('compose', () => {
  const compose = async () =>
    Bun.YAML.parse(await Bun.file(join(DEPLOY, 'compose.yaml')).text()) as {
      services: Record<string, { image: string; environment?: Record<string, string> }>
    }
  const replicaNames = (services: Record<string, unknown>) => Object.keys(services).filter((name) => name.startsWith('replica-'))

  test('three replicas with known settings, every image pinned to a version', async () => {
    const { services } = await compose()
    expect(replicaNames(services)).toEqual(['replica-1', 'replica-2', 'replica-3'])
    for (const name of replicaNames(services))
      expect(Object.keys(services[name]!.environment!).filter((key) => !KNOWN_ENV.has(key))).toEqual([])
    for (const { image } of Object.values(services)) expect(image).toMatch(/:v?\d+\.\d+\.\d+$/)
  })

  test('Redis: no default user; the replicas log in as the one user, confined to their namespace', async () => {
    const { services } = await compose()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, as the file spells it
    const password = '${REDIS_PASSWORD:?set REDIS_PASSWORD}'
    const command = (services.redis as unknown as { command: string[] }).command
    // Each `--user` directive: its arguments up to the next flag.
    const users = command.flatMap((arg, i) => {
      if (arg !== '--user') return []
      const next = command.findIndex((later, j) => j > i && later.startsWith('--'))
      return [command.slice(i + 1, next === -1 ? undefined : next)]
    })
    expect(users.map((rules) => rules.slice(0, 2))).toEqual([
      ['default', 'off'],
      ['bun-infer', 'on']
    ])
    for (const name of replicaNames(services)) {
      const env = services[name]!.environment!
      expect(env.BUN_INFER_REDIS_URL).toBe(`redis://bun-infer:${password}@redis:6379`)
      expect(users[1]).toContain(`~${env.BUN_INFER_CACHE_NAMESPACE}:*`)
    }
    expect(users[1]).toContain(`>${password}`)
  })

  test('nginx and Prometheus both reach every replica', async () => {
    const { services } = await compose()
    const prometheus = Bun.YAML.parse(await Bun.file(join(DEPLOY, 'prometheus/prometheus.yml')).text()) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>
    }
    const targets = prometheus.scrape_configs[0]!.static_configs[0]!.targets
    const upstreams = services.nginx!.environment!.BUN_INFER_UPSTREAM_SERVERS!
    for (const name of replicaNames(services)) {
      expect(targets).toContain(`${name}:8080`)
      expect(upstreams).toContain(`server ${name}:8080 `)
    }
  })
})

describe('KServe serving runtime against the app', () => {
  test('every path KServe probes answers 200 on a ready server, and the infer route of the InferenceService exists', async () => {
    const { servingRuntime, inferenceService } = await import('../../deploy/kserve/manifests')
    const { testApp } = await import('../helpers/test-app')
    const app = testApp()
    const container = servingRuntime().spec.containers[0]!
    for (const path of [container.readinessProbe!.httpGet!.path!, container.livenessProbe!.httpGet!.path!])
      expect({ path, status: (await app.request(path)).status }).toEqual({ path, status: 200 })
    const name = inferenceService().metadata.name
    expect((await app.request(`/v2/models/${name}/ready`)).status).toBe(200)
    expect(servingRuntime().spec.protocolVersions).toEqual(['v2'])
  })
})
