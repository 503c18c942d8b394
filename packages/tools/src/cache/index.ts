export { OutputCache } from './output-cache.js';
export type { CachedOutput, OutputCacheOptions } from './output-cache.js';
export { DEFAULT_CACHE_POLICIES } from './policies.js';
export type { CachePolicy } from './policies.js';
