/**
 * sylkd entry point. V8 flags are set before the daemon's modules load: a
 * long-running per-user daemon is mostly idle, so a smaller young generation and
 * size-optimized compilation keep its resident memory low (docs/benchmarks.md)
 * at no cost a user would notice.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--max-semi-space-size=2');
setFlagsFromString('--optimize-for-size');

await import('./run.js');
