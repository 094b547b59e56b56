/**
 * What the bench's in-process scripts run: the server's config (its defaults, or BUN_INFER_* from `env`) and the
 * default model's default version, keyed as the server keys its queue and worker sessions. A relative models
 * directory is read from the repository root, so a script gives the same answer from any directory.
 */
import { resolve } from 'node:path'
import { loadConfig } from '../../src/config/load'
import type { Config } from '../../src/config/schema'
import { discoverModels, type ModelSpec } from '../../src/models/catalog'

const ROOT = resolve(import.meta.dir, '../..')

export function defaultModel(env: Record<string, string | undefined> = {}): { config: Config; model: ModelSpec } {
  const config = loadConfig(env, [])
  // Batching 0 / -1: each model's own manifest values, not config overrides (the scripts set their own batching).
  const model = discoverModels(resolve(ROOT, config.modelsDir), { maxBatchSize: 0, maxBatchDelayMs: -1 }).resolve(config.defaultModel)
  return { config, model }
}
