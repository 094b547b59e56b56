import { Elysia } from 'elysia'
import type { Metrics } from '../../metrics/registry'

/** GET /metrics in Prometheus text format. */
export function metricsRoute(metrics: Metrics) {
  return new Elysia({ name: 'routes.metrics' }).get(
    '/metrics',
    async () => new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }),
    { detail: { tags: ['health'], summary: 'Prometheus metrics' } }
  )
}
