import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import { AppError } from '../../errors'
import { parseWindow, summarise } from '../../prediction-log/monitoring'
import { confidenceHistogram, recentLowConfidence, timeline } from '../../prediction-log/timeline'
import type { PredictionStore } from '../../prediction-log/store'
import { errorResponses } from '../../schemas/errors'
import { DriftReport, MonitoringSummary } from '../../schemas/monitoring'
import { driftOf } from '../../prediction-log/drift-monitor'
import { driftSettings } from '../../prediction-log/open'
import type { ModelLookup } from '../app-deps'

/** The longest window a summary reads: it loads the window's records, so it is bounded like any other input. */
const MAX_WINDOW_MS = 31 * 86_400_000

/** The window of a query (default `fallback`), or 422. */
function windowOf(text: string | undefined, fallback: string): number {
  const ms = parseWindow(text ?? fallback)
  if (ms === undefined || ms > MAX_WINDOW_MS)
    throw new AppError('validation_failed', 'window must be a number and a unit (s, m, h or d), e.g. 15m, 1h or 7d, at most 31d')
  return ms
}

/**
 * GET /v1/models/:name/monitoring (per label, over a window ending now) and GET /v1/models/:name/drift (the
 * window against the version's reference), both read from the prediction log.
 */
export function monitoringRoutes(config: Readonly<Config>, catalog: ModelLookup, store: PredictionStore | undefined) {
  const logOf = () => {
    if (!store) throw new AppError('prediction_log_off', 'the prediction log is off (BUN_INFER_PREDICTION_LOG=off)')
    return store
  }
  return new Elysia({ name: 'routes.monitoring' })
    .get(
      '/v1/models/:name/monitoring',
      async ({ params, query }) => {
        const log = logOf()
        // 404 for an unknown model or version, as every model route; a model unloaded since keeps no summary.
        const spec = catalog.resolve(params.name, query.version)
        const windowMs = windowOf(query.window, '1h')
        const to = Date.now()
        const from = to - windowMs
        const lowConfidence = query.low_confidence ?? config.lowConfidence
        const version = query.version === undefined ? undefined : String(spec.version)
        const settings = driftSettings(config)
        // A timeline's first buckets need the drift window before them too.
        const rows = await log.since(spec.name, version, query.timeline ? from - settings.windowMs : from)
        const inWindow = query.timeline ? rows.filter((r) => r.timeMs >= from) : rows
        const summary = {
          model: spec.name,
          version: version ?? null,
          window_seconds: Math.round(windowMs / 1000),
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          ...summarise(inWindow, lowConfidence)
        }
        if (!query.timeline) return summary
        const reference = await log.first(spec.name, String(spec.version), settings.referencePredictions)
        return {
          ...summary,
          timeline: timeline({
            rows,
            fromMs: from,
            toMs: to,
            buckets: query.timeline,
            reference,
            ...settings,
            driftWindowMs: settings.windowMs
          }),
          confidence_histogram: confidenceHistogram(inWindow),
          recent_low_confidence: recentLowConfidence(inWindow, lowConfidence)
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
          ),
          timeline: t.Optional(
            t.Numeric({
              minimum: 2,
              maximum: 200,
              multipleOf: 1,
              description:
                'Also the window in this many buckets (labels and drift over time), the confidence histogram and the latest low-confidence predictions.'
            })
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
    .get(
      '/v1/models/:name/drift',
      async ({ params, query }) => {
        const log = logOf()
        const spec = catalog.resolve(params.name, query.version)
        const settings = driftSettings(config)
        const windowMs = query.window === undefined ? settings.windowMs : windowOf(query.window, '1h')
        const result = await driftOf(log, spec.name, String(spec.version), { ...settings, windowMs })
        const head = { model: spec.name, version: String(spec.version), window_seconds: Math.round(windowMs / 1000) }
        if (result.drift) return { ...head, status: 'computed' as const, ...result.drift }
        return {
          ...head,
          status: result.reason,
          reference_predictions: result.reference,
          window_predictions: result.window,
          labels: null,
          confidence: null,
          top_shifts: []
        }
      },
      {
        params: t.Object({ name: t.String({ description: 'Model name, as listed by GET /v1/models.' }) }),
        query: t.Object({
          window: t.Optional(
            t.String({ description: 'How far back (default BUN_INFER_DRIFT_WINDOW_MINUTES), e.g. 1h.', examples: ['1h'] })
          ),
          version: t.Optional(t.String({ description: "One version (default: the model's default version)." }))
        }),
        response: { 200: DriftReport, ...errorResponses(401, 404, 409, 422) },
        detail: {
          tags: ['models'],
          summary: "How far a model version's recent predictions are from its reference",
          description:
            'The top-1 label distribution and the confidence distribution of the window, against the first ' +
            'BUN_INFER_DRIFT_REFERENCE_PREDICTIONS predictions the version logged: PSI and Jensen–Shannon, and the labels ' +
            'whose share moved most. status says why nothing is computed yet.'
        }
      }
    )
}
