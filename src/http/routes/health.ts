import { Elysia, t } from 'elysia'
import type { Lifecycle } from '../../lifecycle'
import type { ContainerState } from '../../processes/protocol'

const Health = t.Object({ status: t.String({ examples: ['ok', 'starting', 'draining', 'degraded'] }) })

/**
 * Liveness (the process answers) and readiness (every model loaded, every worker alive, not draining). With several
 * server processes (`containerState`), readiness also waits for every other process: a probe lands on any of them
 * and must see the container as a whole, so one being started or replaced makes each answer 503.
 */
export function healthRoutes(lifecycle: Lifecycle, workersHealthy: () => boolean, containerState?: () => ContainerState) {
  return new Elysia({ name: 'routes.health' })
    .get('/health/live', () => ({ status: 'ok' }), {
      response: Health,
      detail: { tags: ['health'], summary: 'Liveness: 200 while the process answers' }
    })
    .get(
      '/health/ready',
      ({ set }) => {
        const container = containerState?.() ?? 'ready'
        const status =
          lifecycle.state !== 'ready' ? lifecycle.state : !workersHealthy() ? 'degraded' : container === 'ready' ? 'ok' : container
        if (status !== 'ok') set.status = 503
        return { status }
      },
      {
        response: { 200: Health, 503: Health },
        detail: { tags: ['health'], summary: 'Readiness: 503 until every model is loaded and its workers answer; 503 while draining' }
      }
    )
}
