import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace'
import type { Config } from '../config/schema'

/** The sampler OTEL_TRACES_SAMPLER names; `ratio` is OTEL_TRACES_SAMPLER_ARG (used by the *traceidratio ones). */
export function samplerFrom(name: Config['tracesSampler'], ratio: number): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler()
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root
}
