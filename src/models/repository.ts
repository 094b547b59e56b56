import type { Batcher } from '../batching/batcher'
import { AppError } from '../errors'
import { toWorkerModel } from '../inference/pool'
import type { WorkerModel } from '../inference/protocol'
import { addTensorQueues, hasTensorQueue, tensorQueueKey } from '../v2/tensor-queue'
import { loadModelFolder, modelFolders, type BatchingOverrides, type ModelCatalog, type ModelSpec } from './registry'

/** What loads and frees sessions on the workers: the worker pool. */
export interface ModelHost {
  addModels(models: WorkerModel[]): Promise<void>
  removeModels(keys: string[]): void
}

export interface RepositoryOptions {
  modelsDir: string
  overrides: BatchingOverrides
  defaultModel: string
  /** Longest an unload waits for the model's queued and running images (ms) before it frees the sessions anyway. */
  drainTimeoutMs: number
}

/** One row of POST /v2/repository/index, as Triton answers it: name, version, state, reason. */
export interface RepositoryEntry {
  name: string
  version?: string
  state: 'READY' | 'UNAVAILABLE'
  reason: string
}

/** Unload waits for a model's in-flight images by looking every this many ms: an admin call, not a request path. */
const DRAIN_CHECK_MS = 20

/**
 * The repository extension: loads a model folder at run time (sessions on every worker, queues in the batcher,
 * then the catalog, so it is never resolvable before it can run) and unloads one (out of the catalog first, so
 * new requests get 404; then its queued and running images finish; then its queues and sessions go).
 * One operation at a time.
 */
export class ModelRepository {
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly batcher: Batcher,
    private readonly host: ModelHost,
    private readonly options: RepositoryOptions
  ) {}

  /** Every model folder, loaded (one row per version) or not. */
  index(): RepositoryEntry[] {
    return modelFolders(this.options.modelsDir).flatMap((name): RepositoryEntry[] =>
      this.catalog.has(name)
        ? this.catalog.versionsOf(name).map((spec) => ({ name, version: String(spec.version), state: 'READY', reason: '' }))
        : [{ name, state: 'UNAVAILABLE', reason: 'unloaded' }]
    )
  }

  /** Loads `<modelsDir>/<name>`; a model already loaded stays as it is (no reload). */
  load(name: string): Promise<void> {
    return this.serially(async () => {
      if (this.catalog.has(name)) return
      const entry = loadModelFolder(this.options.modelsDir, name, this.options.overrides)
      for (const spec of entry.versions) this.batcher.addModel(spec.key, queueConfig(spec))
      addTensorQueues(this.batcher, entry.versions)
      try {
        await this.host.addModels(entry.versions.map(toWorkerModel))
      } catch (error) {
        for (const key of queueKeys(entry.versions)) this.batcher.removeModel(key)
        throw new AppError('repository_refused', `model ${name} did not load: ${(error as Error).message}`)
      }
      this.catalog.add(name, entry)
    })
  }

  /** Unloads a model: no new requests, the accepted ones finish, then its sessions are freed. */
  unload(name: string): Promise<void> {
    return this.serially(async () => {
      if (name === this.options.defaultModel)
        throw new AppError('repository_refused', `${name} is the default model (BUN_INFER_DEFAULT_MODEL); it stays loaded`)
      this.catalog.resolve(name) // 404 for an unknown name
      const entry = this.catalog.remove(name)!
      const keys = queueKeys(entry.versions)
      const deadline = performance.now() + this.options.drainTimeoutMs
      while (keys.some((key) => this.batcher.inUse(key) > 0) && performance.now() < deadline) await Bun.sleep(DRAIN_CHECK_MS)
      for (const key of keys) if (this.batcher.inUse(key) === 0) this.batcher.removeModel(key)
      this.host.removeModels(entry.versions.map((spec) => spec.key))
    })
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation, operation)
    this.chain = result.catch(() => {})
    return result
  }
}

function queueConfig(spec: ModelSpec) {
  return {
    maxBatchSize: spec.maxBatchSize,
    maxBatchDelayMs: spec.maxBatchDelayMs,
    inputElements: spec.inputElements,
    outputElements: spec.manifest.output.classes
  }
}

const queueKeys = (specs: readonly ModelSpec[]) =>
  specs.flatMap((spec) => (hasTensorQueue(spec) ? [spec.key, tensorQueueKey(spec)] : [spec.key]))
