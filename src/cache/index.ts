export { ResultCache, type CacheEvent, type ResultCacheOptions } from './result-cache'
export type { CachedPrediction } from './codec'
export type { SharedTierOptions } from './shared'
export { cacheKey } from './key'
