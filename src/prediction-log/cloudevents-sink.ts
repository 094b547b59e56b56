import { within } from '../within'
import { CloudEvent, HTTP } from 'cloudevents'
import type { PredictionRecord, PredictionSink } from './record'

/** KServe's inference logger event types: a KServe log consumer reads these unchanged. */
export const REQUEST_EVENT = 'org.kubeflow.serving.inference.request'
export const RESPONSE_EVENT = 'org.kubeflow.serving.inference.response'

export interface CloudEventsSinkOptions {
  url: string
  /** `source` of every event (this replica). */
  source: string
  /** The `namespace` extension KServe's events carry. */
  namespace: string
  /** Events waiting to be sent; beyond, new ones are dropped and counted. */
  maxQueuedEvents?: number
  /** Posts in flight at once. */
  concurrency?: number
  timeoutMs?: number
  /** A post failed (refused, timed out, not 2xx): its event was dropped. Called once per failure streak. */
  onError?: (error: unknown) => void
}

/** Counts for /metrics. */
export interface SinkCounts {
  sent: number
  dropped: { queue_full: number; send_error: number }
}

/**
 * Sends every answered image to an HTTP receiver as two CloudEvents in binary mode, as KServe's inference logger
 * does: the request (the image's SHA-256 and the API; never the image) and the response (its top classes in the
 * Open Inference Protocol's classification form). The event id is the request id and the image's index. Sent off
 * the request path, a few at a time; a receiver that is slow or down costs events (dropped and counted), never a
 * request.
 */
export class CloudEventsSink implements PredictionSink {
  private readonly queue: CloudEvent<unknown>[] = []
  private inFlight = 0
  private failing = false
  private idle: Array<() => void> = []
  readonly counts: SinkCounts = { sent: 0, dropped: { queue_full: 0, send_error: 0 } }

  constructor(private readonly options: CloudEventsSinkOptions) {}

  add(record: PredictionRecord): void {
    for (const event of eventsOf(record, this.options)) {
      if (this.queue.length >= (this.options.maxQueuedEvents ?? 10_000)) this.counts.dropped.queue_full++
      else this.queue.push(event)
    }
    this.pump()
  }

  /** Resolves once every queued event is sent or dropped, or after `ms`. */
  async drain(ms: number): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return
    await within(new Promise<void>((resolve) => this.idle.push(resolve)), ms)
  }

  private pump(): void {
    while (this.inFlight < (this.options.concurrency ?? 4) && this.queue.length > 0) {
      const event = this.queue.shift()!
      this.inFlight++
      void this.send(event).finally(() => {
        this.inFlight--
        this.pump()
        if (this.inFlight === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve()
      })
    }
  }

  private async send(event: CloudEvent<unknown>): Promise<void> {
    const { headers, body } = HTTP.binary(event)
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: headers as Record<string, string>,
        body: body as string,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000)
      })
      await response.arrayBuffer()
      if (!response.ok) throw new Error(`the receiver answered ${response.status}`)
      this.counts.sent++
      this.failing = false
    } catch (error) {
      this.counts.dropped.send_error++
      if (!this.failing) this.options.onError?.(error)
      this.failing = true
    }
  }
}

/** The request and response events of one answered image. */
export function eventsOf(record: PredictionRecord, options: Pick<CloudEventsSinkOptions, 'source' | 'namespace'>): CloudEvent<unknown>[] {
  const common = {
    id: `${record.requestId}/${record.imageIndex}`,
    source: options.source,
    time: new Date(record.timeMs).toISOString(),
    datacontenttype: 'application/json',
    inferenceservicename: record.model,
    namespace: options.namespace,
    endpoint: record.api
  }
  const request = {
    model_name: record.model,
    model_version: record.version,
    id: record.requestId,
    parameters: { image_index: record.imageIndex, image_sha256: record.imageSha256, api: record.api, client: record.clientHash }
  }
  const response = {
    model_name: record.model,
    model_version: record.version,
    id: record.requestId,
    outputs: [
      {
        name: 'classification',
        datatype: 'BYTES',
        shape: [1, record.top.length],
        data: record.top.map((p) => `${p.score === null ? 'nan' : p.score.toFixed(6)}:${p.class_index}:${p.label}`)
      }
    ],
    parameters: {
      image_index: record.imageIndex,
      cached: record.cached,
      batch_size: record.batchSize,
      total_ms: record.totalMs
    }
  }
  return [
    new CloudEvent({ ...common, type: REQUEST_EVENT, data: request }),
    new CloudEvent({ ...common, type: RESPONSE_EVENT, data: response })
  ]
}

/** Several sinks as one: the prediction log and the CloudEvents receiver see every record. */
export class FanoutSink implements PredictionSink {
  constructor(private readonly sinks: readonly PredictionSink[]) {}

  add(record: PredictionRecord): void {
    for (const sink of this.sinks) sink.add(record)
  }
}
