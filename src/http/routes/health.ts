import { Elysia, t } from 'elysia'
import type { Lifecycle } from '../../lifecycle'

const Health = t.Object({ status: t.String({ examples: ['ok', 'starting', 'draining', 'degraded'] }) })

/** Liveness (the process answers) and readiness (every model loaded, every worker alive, not draining). */
export function healthRoutes(lifecycle: Lifecycle, workersHealthy: () => boolean) {
  return new Elysia({ name: 'routes.health' })
    .get('/health/live', () => ({ status: 'ok' }), {
      response: Health,
      detail: { tags: ['health'], summary: 'Liveness: 200 while the process answers' }
    })
    .get(
      '/health/ready',
      ({ set }) => {
        const status = lifecycle.state !== 'ready' ? lifecycle.state : workersHealthy() ? 'ok' : 'degraded'
        if (status !== 'ok') set.status = 503
        return { status }
      },
      {
        response: { 200: Health, 503: Health },
        detail: { tags: ['health'], summary: 'Readiness: 503 until every model is loaded and its workers answer; 503 while draining' }
      }
    )
}
