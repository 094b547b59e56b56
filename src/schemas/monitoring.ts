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
    labels: t.Array(LabelSummary, { description: 'One entry per predicted label, most frequent first.' }),
    timeline: t.Optional(
      t.Object(
        {
          bucket_seconds: t.Integer(),
          starts: t.Array(t.Number(), { description: 'Start of each bucket (Unix ms).' }),
          labels: t.Array(t.Object({ label: t.String(), class_index: t.Integer(), counts: t.Array(t.Integer()) }), {
            description: 'Predictions per bucket of the most frequent labels, then "other" (class_index -1).'
          }),
          drift_labels_js: t.Array(t.Union([t.Number(), t.Null()]), {
            description: "Label drift (Jensen–Shannon, bits) over the drift window ending at each bucket's end."
          }),
          drift_confidence_js: t.Array(t.Union([t.Number(), t.Null()]))
        },
        { description: 'With ?timeline=N: the window in N buckets, as the monitor page draws it.' }
      )
    ),
    confidence_histogram: t.Optional(
      t.Array(t.Integer(), { description: "With ?timeline: predictions per tenth of the top class's probability, [0, 0.1) first." })
    ),
    recent_low_confidence: t.Optional(
      t.Array(t.Object({ time: t.String(), request_id: t.String(), label: t.String(), class_index: t.Integer(), score: t.Number() }), {
        description: 'With ?timeline: the latest predictions below the threshold, newest first (labels only, never the image).'
      })
    )
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
