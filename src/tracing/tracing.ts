import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider, type Sampler, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace'

export interface StageTimings {
  /** Waiting for a decode slot (and, behind a backlog, for the workers to need more decoded images). */
  decodeWaitMs: number
  preprocessMs: number
  queueMs: number
  inferenceMs: number
}

/** Reads W3C `traceparent`/`tracestate` from a Fetch Headers object. */
const headerGetter = {
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
  keys: (headers: Headers) => [...headers.keys()]
}

/** performance.now() → epoch milliseconds, which span start/end times accept. */
const epochMs = (perfNow: number) => performance.timeOrigin + perfNow

/**
 * Request tracing: a server span per request (child of an incoming `traceparent`), with child spans
 * for preprocess, queue and inference built from the measured timings, and the `traceparent` of the
 * request span sent back. Created only when an exporter is configured, so tracing off costs nothing.
 */
export class Tracing {
  private readonly tracer: Tracer
  private readonly propagator = new W3CTraceContextPropagator()
  /** Request spans not yet ended (onAfterResponse ends them, aborted requests included). */
  private readonly spans = new Map<Request, Span>()
  /** Kept apart from `spans`: a log line written after shutdown ended the span still names its trace. */
  private readonly traceIds = new WeakMap<Request, string>()

  constructor(
    private readonly provider: TracerProvider,
    version: string
  ) {
    this.tracer = provider.getTracer('bun-infer', version)
  }

  /** Starts the request span; returns the `traceparent` to send back. */
  start(request: Request, path: string): string | undefined {
    const parent = this.propagator.extract(context.active(), request.headers, headerGetter)
    const span = this.tracer.startSpan(
      `${request.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': path } },
      parent
    )
    this.spans.set(request, span)
    this.traceIds.set(request, span.spanContext().traceId)
    const carrier: Record<string, string> = {}
    this.propagator.inject(trace.setSpan(context.active(), span), carrier, { set: (c, k, v) => (c[k] = v) })
    return carrier.traceparent
  }

  /** Adds decode_wait → preprocess → queue → inference child spans, laid end to end from `startedAt` (performance.now()). */
  stages(request: Request, startedAt: number, timings: StageTimings, attributes: Record<string, string | number>): void {
    const span = this.spans.get(request)
    if (!span) return
    span.setAttributes(attributes)
    const parent = trace.setSpan(context.active(), span)
    let at = startedAt
    for (const [name, ms] of [
      ['decode_wait', timings.decodeWaitMs],
      ['preprocess', timings.preprocessMs],
      ['queue', timings.queueMs],
      ['inference', timings.inferenceMs]
    ] as const) {
      this.tracer.startSpan(name, { startTime: epochMs(at) }, parent).end(epochMs(at + ms))
      at += ms
    }
  }

  /** The trace id of the request's span, for its log lines. */
  traceId(request: Request): string | undefined {
    return this.traceIds.get(request)
  }

  /** Ends the request span with the response status (5xx marks it as an error). */
  end(request: Request, status: number, route: string): void {
    const span = this.spans.get(request)
    if (!span) return
    span.setAttributes({ 'http.response.status_code': status, 'http.route': route })
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end()
    this.spans.delete(request)
  }

  /**
   * Ends what is still open (a request answered a moment before the signal may not have reached its
   * after-response hook yet), then flushes and stops the exporter.
   */
  shutdown(): Promise<void> {
    for (const span of this.spans.values()) span.end()
    this.spans.clear()
    return this.provider.shutdown()
  }
}

export interface TracingOptions {
  /** service.name of every span (OTEL_SERVICE_NAME); default bun-infer. */
  serviceName?: string
  /** Which requests are recorded (OTEL_TRACES_SAMPLER); default: parent-based, always on. */
  sampler?: Sampler
}

/** Tracing with the given processor (tests pass an in-memory exporter); batches spans to OTLP/HTTP in production. */
export function createTracing(processor: SpanProcessor, version: string, options: TracingOptions = {}): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'bun-infer', 'service.version': version }),
    spanProcessors: [processor],
    ...(options.sampler ? { sampler: options.sampler } : {})
  })
  return new Tracing(provider, version)
}

/** `key=value,key2=value2` (OTEL_EXPORTER_OTLP_HEADERS; values may be percent-encoded) → a header record. */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim())
  }
  return headers
}

/** OTLP/HTTP exporter, loaded only when tracing is configured. */
export async function otlpProcessor(url: string, headers: Record<string, string> = {}): Promise<SpanProcessor> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
  return new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url, headers }) as unknown as SpanExporter })
}
