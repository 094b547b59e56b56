import { join } from 'node:path'
import type { Config } from '../config/schema'
import type { Logger } from '../log'
import { PredictionLog } from './log'
import { SqliteStore } from './sqlite-store'

/** The file the prediction log is kept in, or undefined when it is off. */
export function predictionLogPath(config: Pick<Config, 'predictionLog' | 'dataDir'>): string | undefined {
  if (config.predictionLog === 'off') return undefined
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.predictionLog))
    throw new Error(
      `invalid config BUN_INFER_PREDICTION_LOG: only a SQLite file path or "off" is supported; a database URL (${config.predictionLog.split(':')[0]}://) is not`
    )
  return config.predictionLog || join(config.dataDir, 'prediction-log.sqlite')
}

/** Opens the configured prediction log; a file that cannot be opened stops startup with one line saying what to do. */
export function openPredictionLog(config: Readonly<Config>, log: Logger): PredictionLog | undefined {
  const path = predictionLogPath(config)
  if (!path) return undefined
  let store: SqliteStore
  try {
    store = new SqliteStore(path)
  } catch (error) {
    throw new Error(
      `cannot open the prediction log ${path}: ${(error as Error).message}; set BUN_INFER_DATA_DIR to a writable folder, or BUN_INFER_PREDICTION_LOG=off`
    )
  }
  return new PredictionLog(store, {
    maxBufferedRecords: config.predictionLogBufferRecords,
    maxAgeMs: config.predictionLogMaxAgeDays * 86_400_000,
    maxRecords: config.predictionLogMaxRecords,
    flushIntervalMs: config.predictionLogFlushMs,
    onWriteError: (error, dropped) =>
      log.warn('prediction log write failed; records are dropped until it works again', { path, dropped, error: String(error) }),
    onRecovered: () => log.info('prediction log writes again', { path })
  })
}
