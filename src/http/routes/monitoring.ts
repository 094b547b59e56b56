import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import { AppError } from '../../errors'
import { parseWindow, summarise } from '../../prediction-log/monitoring'
import type { PredictionStore } from '../../prediction-log/store'
import { errorResponses } from '../../schemas/errors'
import { MonitoringSummary } from '../../schemas/monitoring'
import type { ModelLookup } from '../app-deps'

/** The longest window a summary reads: it loads the window's records, so it is bounded like any other input. */
const MAX_WINDOW_MS = 31 * 86_400_000

/** GET /v1/models/:name/monitoring: per label, from the prediction log, over a window ending now. */
export function monitoringRoutes(config: Readonly<Config>, catalog: ModelLookup, store: PredictionStore | undefined) {
  return new Elysia({ name: 'routes.monitoring' }).get(
    '/v1/models/:name/monitoring',
    async ({ params, query }) => {
      if (!store) throw new AppError('prediction_log_off', 'the prediction log is off (BUN_INFER_PREDICTION_LOG=off)')
      // 404 for an unknown model or version, as every model route; a model unloaded since keeps no summary.
      const spec = catalog.resolve(params.name, query.version)
      const windowMs = parseWindow(query.window ?? '1h')
      if (windowMs === undefined || windowMs > MAX_WINDOW_MS)
        throw new AppError('validation_failed', 'window must be a number and a unit (s, m, h or d), e.g. 15m, 1h or 7d, at most 31d')
      const to = Date.now()
      const from = to - windowMs
      const lowConfidence = query.low_confidence ?? config.lowConfidence
      const version = query.version === undefined ? undefined : String(spec.version)
      return {
        model: spec.name,
        version: version ?? null,
        window_seconds: Math.round(windowMs / 1000),
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        ...summarise(await store.since(spec.name, version, from), lowConfidence)
      }
    },
    {
      params: t.Object({ name: t.String({ description: 'Model name, as listed by GET /v1/models.' }) }),
      query: t.Object({
        window: t.Optional(
          t.String({ description: 'How far back: a number and s, m, h or d (default 1h, at most 31d).', examples: ['1h'] })
        ),
        version: t.Optional(t.String({ description: 'One version only (default: every version of the model).' })),
        low_confidence: t.Optional(
          t.Numeric({ minimum: 0, maximum: 1, description: 'Probability below which a prediction counts as low confidence.' })
        )
      }),
      response: { 200: MonitoringSummary, ...errorResponses(401, 404, 409, 422) },
      detail: {
        tags: ['models'],
        summary: 'What a model has been predicting (from the prediction log)',
        description:
          'Per predicted label over a window ending now: how many images, their share, the top-class probability ' +
          '(mean, p50, p95), the time in the server (p50, p95), and the share below the low-confidence threshold. ' +
          'Read from the prediction log (409 prediction_log_off when it is off).'
      }
    }
  )
}
