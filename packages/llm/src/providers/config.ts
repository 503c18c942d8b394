import type { Clock, Logger } from '@sylk/core';
import type { ProviderName } from '../types.js';
import type { ModelCatalog } from '../catalog/index.js';

/** What createAdapter and every adapter class take. The key is passed in, never read from env here. */
export interface AdapterConfig {
  provider: ProviderName;
  apiKey?: string;
  /** Where the key came from, for error messages (`env OPENAI_API_KEY`, `keychain`); never the key. */
  credentialSource?: string;
  baseUrl?: string;
  defaultModel?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  catalog?: ModelCatalog;
  clock?: Clock;
  logger?: Logger;
}
