import type { Config } from '../config/schema'
import { discoverModels, type ModelCatalog } from './catalog'

/** The models of `config.modelsDir`, for the server and the CLI; throws when the default model is not among them. */
export function loadCatalog(config: Readonly<Config>): ModelCatalog {
  const catalog = discoverModels(config.modelsDir, config)
  if (!catalog.has(config.defaultModel))
    throw new Error(
      `BUN_INFER_DEFAULT_MODEL: no model "${config.defaultModel}" in ${config.modelsDir} (found: ${catalog.names().join(', ')})`
    )
  return catalog
}
