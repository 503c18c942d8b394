import type { ProviderAdapter } from '../types.js';
import { AnthropicAdapter } from './anthropic.js';
import type { AdapterConfig } from './config.js';
import { GoogleAdapter } from './google.js';
import { OpenAIAdapter } from './openai.js';

/** Build the adapter for one provider. Throws `llm.auth_missing` (UserFixable) when a required key is absent. */
export function createAdapter(config: AdapterConfig): ProviderAdapter {
  switch (config.provider) {
    case 'anthropic':
      return new AnthropicAdapter(config);
    case 'openai':
      return new OpenAIAdapter({ ...config, provider: 'openai' });
    case 'openai-compatible':
      return new OpenAIAdapter({ ...config, provider: 'openai-compatible' });
    case 'google':
      return new GoogleAdapter(config);
  }
}
