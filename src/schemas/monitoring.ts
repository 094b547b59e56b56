import { t } from 'elysia'

const Quantiles = (unit: string) => ({
  p50: t.Number({ description: `Median ${unit}.` }),
  p95: t.Number({ description: `95th percentile ${unit}.` })
})

export const LabelSummary = t.Object(
  {
    label: t.String(),
    class_index: t.Integer({ minimum: 0 }),
    count: t.Integer({ minimum: 1, description: 'Images whose top-1 was this label.' }),
    share: t.Number({ minimum: 0, maximum: 1, description: 'count ÷ every image in the window.' }),
    confidence: t.Union(
      [t.Object({ mean: t.Number({ description: 'Mean probability of the top class.' }), ...Quantiles('probability') }), t.Null()],
      { description: "The top class's probability; null when only raw scores were logged (a cached /v2 answer of a logits model)." }
    ),
    latency_ms: t.Object(Quantiles('time in the server (decode, queue, inference), ms')),
    low_confidence_rate: t.Union([t.Number({ minimum: 0, maximum: 1 }), t.Null()], {
      description: 'Share of these images whose top probability is below low_confidence_threshold.'
    })
  },
  { $id: '#/components/schemas/LabelSummary' }
)

export const MonitoringSummary = t.Object(
  {
    model: t.String(),
    version: t.Union([t.String(), t.Null()], { description: 'The version summarised; null: every version of the model.' }),
    window_seconds: t.Integer({ minimum: 1 }),
    from: t.String({ description: 'Start of the window (ISO 8601).' }),
    to: t.String({ description: 'End of the window (ISO 8601): now.' }),
    total: t.Integer({ minimum: 0, description: 'Images answered in the window.' }),
    low_confidence_threshold: t.Number({ minimum: 0, maximum: 1 }),
    labels: t.Array(LabelSummary, { description: 'One entry per predicted label, most frequent first.' })
  },
  { $id: '#/components/schemas/MonitoringSummary', description: 'What a model has been predicting, from the prediction log.' }
)

const Measures = t.Object({
  psi: t.Number({ description: 'Population stability index: under 0.1 stable, 0.1–0.25 moderate, over 0.25 a shift.' }),
  js: t.Number({ minimum: 0, maximum: 1, description: 'Jensen–Shannon divergence in bits: 0 the same, 1 nothing in common.' })
})

export const DriftReport = t.Object(
  {
    model: t.String(),
    version: t.String(),
    window_seconds: t.Integer({ minimum: 1 }),
    reference_predictions: t.Integer({ minimum: 0, description: 'The first predictions of this version in the log, the reference.' }),
    window_predictions: t.Integer({ minimum: 0, description: 'Predictions in the window.' }),
    status: t.Union([t.Literal('computed'), t.Literal('reference_incomplete'), t.Literal('window_too_small')], {
      description:
        'computed, or why not: the reference is not yet BUN_INFER_DRIFT_REFERENCE_PREDICTIONS long, or the window holds fewer than BUN_INFER_DRIFT_MIN_WINDOW_PREDICTIONS.'
    }),
    labels: t.Union([Measures, t.Null()], { description: 'Divergence of the top-1 label distribution.' }),
    confidence: t.Union([Measures, t.Null()], { description: "Divergence of the top class's probability, in ten bins." }),
    top_shifts: t.Array(t.Object({ label: t.String(), class_index: t.Integer(), reference_share: t.Number(), window_share: t.Number() }), {
      description: 'The labels whose share moved most.'
    })
  },
  { $id: '#/components/schemas/DriftReport', description: "How far a model version's recent predictions are from its reference." }
)
