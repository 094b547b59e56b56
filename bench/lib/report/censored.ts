import type { PointResult } from '../types'

/**
 * A latency within 10 % of the point's length is censored: requests still queued when the point ended
 * are never counted, so the true value is at least this.
 */
export const censored = (p: PointResult, ms: number) => ms >= 0.9 * p.durationS * 1000
