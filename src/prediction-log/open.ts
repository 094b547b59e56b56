import { join } from 'node:path'
import type { Config } from '../config/schema'
import type { Logger } from '../log'
import { PredictionLog } from './log'
import { redactedUrl } from '../config/secrets'
import { PostgresStore } from './postgres-store'
import { SqliteStore } from './sqlite-store'
import type { PredictionStore } from './store'
import type { DriftSettings } from './drift-monitor'

/** The drift settings of the config. */
export function driftSettings(config: Readonly<Config>): DriftSettings {
  return {
    referencePredictions: config.driftReferencePredictions,
    windowMs: config.driftWindowMinutes * 60_000,
    minWindowPredictions: config.driftMinWindowPredictions
  }
}

/** Where the prediction log is kept: a SQLite file, a PostgreSQL URL, or undefined when it is off. */
export function predictionLogTarget(
  config: Pick<Config, 'predictionLog' | 'dataDir'>
): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | undefined {
  const value = config.predictionLog
  if (value === 'off') return undefined
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    throw new Error(
      `invalid config BUN_INFER_PREDICTION_LOG: a SQLite file path, a postgres:// URL or "off", not ${value.split(':')[0]}://`
    )
  return { kind: 'sqlite', path: value || join(config.dataDir, 'prediction-log.sqlite') }
}

/**
 * Opens the configured prediction log. A store that cannot be opened (a folder that cannot be written, a database
 * that cannot be reached or refuses the user) stops startup with one line saying what to do.
 */
export async function openPredictionLog(config: Readonly<Config>, log: Logger): Promise<PredictionLog | undefined> {
  const target = predictionLogTarget(config)
  if (!target) return undefined
  const where = target.kind === 'sqlite' ? target.path : (redactedUrl(target.url) ?? 'postgres://…')
  let store: PredictionStore
  try {
    store = target.kind === 'sqlite' ? new SqliteStore(target.path) : await PostgresStore.open(target.url, config.predictionLogPoolSize)
  } catch (error) {
    const hint =
      target.kind === 'sqlite' ? 'set BUN_INFER_DATA_DIR to a writable folder' : 'check the database URL, its user and that it is up'
    throw new Error(`cannot open the prediction log ${where}: ${(error as Error).message}; ${hint}, or set BUN_INFER_PREDICTION_LOG=off`)
  }
  return new PredictionLog(store, {
    maxBufferedRecords: config.predictionLogBufferRecords,
    maxAgeMs: config.predictionLogMaxAgeDays * 86_400_000,
    maxRecords: config.predictionLogMaxRecords,
    flushIntervalMs: config.predictionLogFlushMs,
    onWriteError: (error, dropped) =>
      log.warn('prediction log write failed; records are dropped until it works again', { store: where, dropped, error: String(error) }),
    onRecovered: () => log.info('prediction log writes again', { store: where })
  })
}
