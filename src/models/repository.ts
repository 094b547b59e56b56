import type { Batcher } from '../batching/batcher'
import { AppError } from '../errors'
import { toWorkerModel } from '../inference/pool'
import type { WorkerModel } from '../inference/protocol'
import { fullCollection } from '../memory/reclaimer'
import { addModelQueues, modelQueueKeys } from './queues'
import { loadModelFolder, modelFolders, type BatchingOverrides, type ModelCatalog, type ModelSpec } from './catalog'

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

  /**
   * Loads `<modelsDir>/<name>`. For a model already loaded it is a reload: new version folders get sessions
   * and queues first, then the catalog switches to the folder's versions and default in one step (no request
   * sees a version that cannot run), then versions whose folders are gone drain and are freed. A version
   * already loaded keeps its sessions.
   */
  load(name: string): Promise<void> {
    return this.serially(async () => {
      const entry = readFolder(this.options.modelsDir, name, this.options.overrides)
      const loaded = this.catalog.has(name) ? this.catalog.versionsOf(name) : []
      const loadedKeys = new Set(loaded.map((spec) => spec.key))
      const added = entry.versions.filter((spec) => !loadedKeys.has(spec.key))
      await this.start(name, added)
      if (loaded.length === 0) return this.catalog.add(name, entry)
      const wanted = new Set(entry.versions.map((spec) => spec.key))
      const kept = loaded.filter((spec) => wanted.has(spec.key))
      this.catalog.replace(name, {
        defaultVersion: entry.defaultVersion,
        versions: [...kept, ...added].sort((a, b) => a.version - b.version)
      })
      await this.drainAndFree(loaded.filter((spec) => !wanted.has(spec.key)))
    })
  }

  /** Unloads a model: no new requests, the accepted ones finish, then its sessions are freed. */
  unload(name: string): Promise<void> {
    return this.serially(async () => {
      if (name === this.options.defaultModel)
        throw new AppError('repository_refused', `${name} is the default model (BUN_INFER_DEFAULT_MODEL); it stays loaded`)
      this.catalog.resolve(name) // 404 for an unknown name
      await this.drainAndFree(this.catalog.remove(name)!.versions)
    })
  }

  /** Queues in the batcher and sessions on every worker for these versions; all or none. */
  private async start(name: string, specs: ModelSpec[]): Promise<void> {
    if (specs.length === 0) return
    addModelQueues(this.batcher, specs)
    try {
      await this.host.addModels(specs.map(toWorkerModel))
    } catch (error) {
      for (const key of modelQueueKeys(specs)) this.batcher.removeModel(key)
      throw new AppError('repository_refused', `model ${name} did not load: ${(error as Error).message}`)
    }
  }

  /** Waits (up to the drain timeout) for the versions' queued and running images, then frees queues and sessions. */
  private async drainAndFree(specs: readonly ModelSpec[]): Promise<void> {
    if (specs.length === 0) return
    const keys = modelQueueKeys(specs)
    const deadline = performance.now() + this.options.drainTimeoutMs
    while (keys.some((key) => this.batcher.inUse(key) > 0) && performance.now() < deadline) await Bun.sleep(DRAIN_CHECK_MS)
    for (const key of keys) if (this.batcher.inUse(key) === 0) this.batcher.removeModel(key)
    this.host.removeModels(specs.map((spec) => spec.key))
    // The versions' specs, preprocessors and queues are garbage now: collect and trim here as the workers do.
    fullCollection()
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation, operation)
    this.chain = result.catch(() => {})
    return result
  }
}

/** The model folder as it is now; a broken one (manifest, labels, versions) is refused with the file's own message. */
function readFolder(modelsDir: string, name: string, overrides: BatchingOverrides) {
  try {
    return loadModelFolder(modelsDir, name, overrides)
  } catch (error) {
    if (error instanceof AppError) throw error
    throw new AppError('repository_refused', `model ${name} did not load: ${(error as Error).message.replace(modelsDir, '<models>')}`)
  }
}
