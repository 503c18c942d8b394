/**
 * The provider API versions the adapters speak, set on their SDK clients here so that anything
 * else calling a provider directly (the daemon's key check) speaks the same ones. Each is its
 * SDK's own default; a new SDK major that moves it is adopted by changing it here.
 */

/** The `anthropic-version` header of every Anthropic request (the default of @anthropic-ai/sdk 1.x). */
export const ANTHROPIC_API_VERSION = '2026-10-21';

/** The Gemini API's path version (`<base>/v1/models/…`), the default of @google/genai 3.x. */
export const GEMINI_API_VERSION = 'v1';
