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
