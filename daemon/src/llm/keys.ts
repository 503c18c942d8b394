import type { ProviderName } from '@sylk/llm';

/** Where a provider's key is looked for, in order. The value never leaves this module's caller. */
const KEY_VARS: Record<ProviderName, readonly string[]> = {
  anthropic: ['ANTHROPIC_API_KEY'],
  openai: ['OPENAI_API_KEY'],
  google: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'],
  // Local servers (Ollama, vLLM, …) usually need none.
  'openai-compatible': ['OPENAI_COMPATIBLE_API_KEY'],
};

export interface ProviderKey {
  /** Undefined when no variable is set. Never logged, never returned over the wire. */
  apiKey: string | undefined;
  /** `env NAME` of the variable used, or of the first one looked at when none is set. */
  source: string;
  required: boolean;
}

export function providerKey(provider: ProviderName, env: Readonly<Record<string, string | undefined>>): ProviderKey {
  const vars = KEY_VARS[provider];
  const required = provider !== 'openai-compatible';
  for (const name of vars) {
    const value = env[name];
    if (value !== undefined && value !== '') return { apiKey: value, source: `env ${name}`, required };
  }
  return { apiKey: undefined, source: `env ${vars.join(' or ')}`, required };
}
