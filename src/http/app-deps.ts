import type { Config } from '../config/schema'
import type { ModelSessions } from '../inference/pool'
import type { WorkerFault } from '../inference/protocol'
import type { Lifecycle } from '../lifecycle'
import type { Logger } from '../log'
import type { Metrics } from '../metrics/registry'
import type { ModelCatalog } from '../models/catalog'
import type { ModelRepository } from '../models/repository'
import type { Predictor } from '../predictor'
import type { Tracing } from '../tracing/tracing'
import type { V2Service } from '../v2/infer'
import type { PredictionStore } from '../prediction-log/store'
import type { JobService } from '../jobs/service'
import type { ContainerState } from '../processes/protocol'

// The types createApp takes, in their own module so that the routes can name them without importing app.ts,
// which imports the routes.

/** What the predict routes need: the early check before the body is read, and the use case itself. */
export type PredictService = Pick<Predictor, 'checkBeforeBody' | 'predict'>

/** The read-only part of the model catalog the routes use: names, versions, resolution (404s). */
export type ModelLookup = Pick<ModelCatalog, 'names' | 'resolve' | 'versionsOf'>

/** Everything createApp wires together; main.ts builds the real ones, tests pass fakes. */
export interface AppDeps {
  config: Readonly<Config>
  predictor: PredictService & V2Service
  catalog: ModelLookup
  /** Readiness and draining; counts predict requests in flight. */
  lifecycle: Lifecycle
  metrics: Metrics
  log: Logger
  workersHealthy: () => boolean
  /** Workers holding a model version's sessions and the RSS they added at load (the worker pool); absent in tests without one. */
  sessionsOf?: (key: string) => ModelSessions | undefined
  version: string
  /** API keys (config + keys file); empty turns auth off. */
  apiKeys: readonly string[]
  /** Present only when tracing is configured. */
  tracing?: Tracing
  /** Present only when fault injection is enabled (tests): arms a crash or hang of the next batch. */
  armFault?: (fault: WorkerFault) => void
  /** The prediction log's store, read by the monitoring summary; absent when the log is off. */
  predictionStore?: PredictionStore
  /** The bulk job API; absent when it is off (BUN_INFER_JOBS=false). */
  jobs?: JobService
  /** Present only when the repository extension is enabled (BUN_INFER_REPOSITORY_API). */
  repository?: ModelRepository
  /** Whether every server process of the container is ready (BUN_INFER_PROCESSES > 1); absent when one serves alone. */
  containerState?: () => ContainerState
  /** The container's /metrics, every server process merged (BUN_INFER_PROCESSES > 1); absent: this registry's. */
  metricsText?: () => Promise<string>
}
