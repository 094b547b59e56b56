import { Elysia } from 'elysia'
import type { Metrics } from '../../metrics/registry'

/** GET /metrics in Prometheus text format: this process's registry, or `text` (the whole container's, merged). */
export function metricsRoute(metrics: Metrics, text: () => Promise<string> = () => metrics.registry.metrics()) {
  return new Elysia({ name: 'routes.metrics' }).get(
    '/metrics',
    async () => new Response(await text(), { headers: { 'content-type': metrics.registry.contentType } }),
    { detail: { tags: ['health'], summary: 'Prometheus metrics' } }
  )
}
