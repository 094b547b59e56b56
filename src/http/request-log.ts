import type { LogLevel } from '../log'

/**
 * Probes and scrapes arrive every few seconds from machines, not people: at `info` they would drown
 * the request log, so they are logged at `debug` (still counted in the metrics).
 */
const MACHINE_ROUTES = new Set(['/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready', '/metrics'])

/** The level of the one log line per request. */
export function requestLogLevel(route: string): LogLevel {
  return MACHINE_ROUTES.has(route) ? 'debug' : 'info'
}
