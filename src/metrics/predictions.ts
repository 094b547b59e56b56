import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { countsFrom, LATENCY_BUCKETS, PREFIX } from './collected'
import type { Drift } from '../prediction-log/drift'
import type { SinkCounts } from '../prediction-log/cloudevents-sink'
import type { PredictionLogCounts } from '../prediction-log/log'

/** The drift of each model version that has one now (the drift monitor's last pass). */
export type DriftSource = () => Iterable<{ model: string; version: string; drift: Drift }>

/** Probabilities of the top class: fine steps at the top, where most answers of a good model fall. */
const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]

/**
 * What the models predict: answered images by top-1 label, and the top class's probability. The label counter
 * has one series per label a model has predicted (at most its class count: 1000 for the shipped models); the
 * histogram is per model version only, so its series stay a dozen per version whatever the labels. Latency by
 * label has series only for the monitored labels. With the prediction log, drift and the CloudEvents sink on,
 * their counts too.
 */
export function predictionMetrics(
  registry: Registry,
  logCounts?: () => PredictionLogCounts | undefined,
  drift?: DriftSource,
  monitoredLabels: readonly string[] = [],
  eventCounts?: () => SinkCounts
) {
  const named = new Set(monitoredLabels)
  const duration = new Histogram({
    name: `${PREFIX}prediction_duration_seconds`,
    help: 'Time in the server of each computed image (decode, queue, inference) by top-1 label: the labels of BUN_INFER_MONITORED_LABELS by name, every other as label="other".',
    labelNames: ['model', 'version', 'label'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  const metrics = {
    /** Observes an image's time under its label when that label is monitored, else under "other" (bounded series). */
    observeDuration(labels: { model: string; version: string }, label: string, seconds: number) {
      duration.observe({ ...labels, label: named.has(label) ? label : 'other' }, seconds)
    },
    predictions: new Counter({
      name: `${PREFIX}predictions_total`,
      help: 'Answered images by model version and top-1 label (cached answers included).',
      labelNames: ['model', 'version', 'label'] as const,
      registers: [registry]
    }),
    confidence: new Histogram({
      name: `${PREFIX}prediction_confidence`,
      help: "The top class's probability of each answered image, by model version.",
      labelNames: ['model', 'version'] as const,
      buckets: CONFIDENCE_BUCKETS,
      registers: [registry]
    })
  }
  if (logCounts) {
    countsFrom(
      registry,
      'prediction_log_records_total',
      'Prediction log records written, or dropped because the buffer was full or the store failed.',
      'outcome',
      () => {
        const counts = logCounts()
        return (
          counts && {
            written: counts.written,
            dropped_buffer_full: counts.dropped.buffer_full,
            dropped_store_error: counts.dropped.store_error
          }
        )
      }
    )
    new Gauge({
      name: `${PREFIX}prediction_log_buffered`,
      help: 'Prediction log records waiting to be written.',
      registers: [registry],
      collect() {
        this.set(logCounts()?.buffered ?? 0)
      }
    })
  }
  if (eventCounts)
    countsFrom(
      registry,
      'prediction_events_total',
      'CloudEvents sent to BUN_INFER_PREDICTION_EVENTS_URL, or dropped because the queue was full or the receiver failed.',
      'outcome',
      () => {
        const counts = eventCounts()
        return { sent: counts.sent, dropped_queue_full: counts.dropped.queue_full, dropped_send_error: counts.dropped.send_error }
      }
    )
  if (drift) {
    new Gauge({
      name: `${PREFIX}prediction_drift`,
      help: "Divergence of a model version's recent predictions (the drift window) from its reference: the top-1 label distribution (distribution=label) or the confidence distribution (distribution=confidence), as PSI or Jensen-Shannon (bits).",
      labelNames: ['model', 'version', 'distribution', 'measure'] as const,
      registers: [registry],
      // Every server process computes it from the one prediction log they share: the same figure, never a sum.
      aggregator: 'max',
      collect() {
        this.reset()
        for (const { model, version, drift: d } of drift()) {
          for (const measure of ['psi', 'js'] as const) {
            this.set({ model, version, distribution: 'label', measure }, d.labels[measure])
            if (d.confidence) this.set({ model, version, distribution: 'confidence', measure }, d.confidence[measure])
          }
        }
      }
    })
    new Gauge({
      name: `${PREFIX}prediction_drift_window_predictions`,
      help: 'Predictions in the drift window of each model version whose drift is computed.',
      labelNames: ['model', 'version'] as const,
      registers: [registry],
      aggregator: 'max',
      collect() {
        this.reset()
        for (const { model, version, drift: d } of drift()) this.set({ model, version }, d.window_predictions)
      }
    })
  }
  return metrics
}
