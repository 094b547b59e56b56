/**
 * `bun run classify <files or folders…>`: classifies photos in process through the server's own
 * preprocessing, batcher and worker pool (src/pipeline.ts), without HTTP. See CLASSIFY_USAGE.
 */
import { systemClock } from '../batching/clock'
import { loadConfig } from '../config/load'
import { createWorkerPool } from '../inference/pool-from-config'
import { checkExecutionProvider } from '../inference/execution-provider'
import { loadCatalog } from '../models/load-catalog'
import { buildPipeline } from '../pipeline'
import { CLASSIFY_USAGE, parseClassifyArgs, UsageError, type ClassifyOptions } from './args'
import { expandPaths } from './files'
import { CSV_HEADER } from './output'
import { ProgressBar } from './progress'
import { classifyFiles, describeSummary } from './run'
import { classifyOnServer } from './remote'

/** --server: one bulk job on a running server; no model is loaded here. */
async function onServer(options: ClassifyOptions): Promise<number> {
  const files = expandPaths(options.paths)
  const out = (text: string) => process.stdout.write(text)
  if (options.format === 'csv') out(CSV_HEADER)
  const interrupted = new AbortController()
  process.once('SIGINT', () => interrupted.abort())
  const summary = await classifyOnServer(files, {
    ...options,
    apiKey: options.apiKey || process.env.BUN_INFER_API_KEY,
    write: out,
    progress: new ProgressBar(files.length),
    signal: interrupted.signal
  })
  process.stderr.write(describeSummary(summary) + '\n')
  return summary.failed > 0 ? 1 : 0
}

async function main(options: ClassifyOptions): Promise<number> {
  if (options.server) return onServer(options)
  // No result cache: each photo is classified once, and the answers go to stdout, not to a cache.
  const config = loadConfig(process.env, [], { maxCacheEntries: 0 })
  const model = options.model || config.defaultModel
  const catalog = loadCatalog(config)
  if (!catalog.has(model)) throw new UsageError(`no model "${model}" in ${config.modelsDir} (found: ${catalog.names().join(', ')})`)
  const files = expandPaths(options.paths)
  await checkExecutionProvider(config.executionProvider)
  const pool = createWorkerPool(config, catalog, (reason) => process.stderr.write(`worker lost: ${reason}\n`))
  const { predictor } = buildPipeline(config, catalog, pool, { clock: systemClock })
  try {
    await pool.start()
    const out = (text: string) => process.stdout.write(text)
    if (options.format === 'csv') out(CSV_HEADER)
    const summary = await classifyFiles(files, { ...options, model, predictor, write: out, progress: new ProgressBar(files.length) })
    process.stderr.write(describeSummary(summary) + '\n')
    return summary.failed > 0 ? 1 : 0
  } finally {
    await pool.close()
  }
}

try {
  const options = parseClassifyArgs(process.argv.slice(2))
  if (options.help) {
    process.stdout.write(CLASSIFY_USAGE)
    process.exit(0)
  }
  process.exit(await main(options))
} catch (error) {
  process.stderr.write(`classify: ${(error as Error).message}\n`)
  if (error instanceof UsageError) process.stderr.write(CLASSIFY_USAGE)
  process.exit(error instanceof UsageError ? 2 : 1)
}
