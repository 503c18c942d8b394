import type { ModelInfo, Usage } from '../types.js';
import { costUsd } from '../catalog/index.js';

/** Cost of a call whose model may be missing from the catalogue (then it is free, not an error). */
export function callCost(info: ModelInfo | undefined, usage: Usage): number {
  return info === undefined ? 0 : costUsd(info, usage);
}

export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
