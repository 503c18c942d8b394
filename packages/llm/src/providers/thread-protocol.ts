import { ErrorTier, SylkError, isSylkError, errorMessage } from '@sylk/core';
import type { CatalogOverrides } from '../catalog/index.js';
import { ProviderError, type LLMRequest, type ProviderErrorInfo, type StreamChunk } from '../types.js';
import type { AdapterConfig } from './config.js';

/** An AdapterConfig that can cross a thread: no functions, no class instances. */
export type PortableAdapterConfig = Omit<AdapterConfig, 'fetch' | 'catalog' | 'clock' | 'logger'> & { catalogOverrides?: CatalogOverrides };

/** Chunks posted in one message at most; a batch normally ends with the worker's turn of the loop. */
export const MAX_BATCH = 256;
/** Chunks posted and not yet taken by the consumer before the worker stops reading the provider. */
export const MAX_UNACKED = 4096;
/**
 * The consumer returns credit after taking this many chunks. Far below MAX_UNACKED, so a worker
 * waiting for credit always has a consumer with chunks left to take (and credit to return).
 */
export const CREDIT_EVERY = 256;

export type ToWorker =
  | { type: 'adapter'; adapterId: number; config: PortableAdapterConfig }
  | { type: 'forget'; adapterId: number }
  | { type: 'stream'; id: number; adapterId: number; request: LLMRequest }
  | { type: 'cancel'; id: number; reason: string }
  /** The consumer took `chunks` more chunks: the worker may read that many further. */
  | { type: 'credit'; id: number; chunks: number };

/**
 * A chunk as it crosses the thread: a text chunk is its bare text. Structured clone writes and
 * rebuilds an object's keys one by one; tens of thousands of text deltas a turn cost half as
 * much on both threads as strings (a 32-delta batch: ~11 → ~4 µs to post, ~23 → ~12 µs to take).
 */
export type PortableChunk = StreamChunk | string;

export const toPortableChunk = (chunk: StreamChunk): PortableChunk => (chunk.type === 'text' ? chunk.text : chunk);

export const fromPortableChunk = (chunk: PortableChunk): StreamChunk => (typeof chunk === 'string' ? { type: 'text', text: chunk } : chunk);

export type FromWorker =
  | { type: 'chunks'; id: number; chunks: PortableChunk[] }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: PortableError };

/** A SylkError (or ProviderError) as plain data; structured clone keeps only an Error's message. */
export interface PortableError {
  message: string;
  tier: ErrorTier;
  code: string;
  hint?: string;
  info?: ProviderErrorInfo;
}

export function toPortableError(err: unknown): PortableError {
  if (!isSylkError(err)) return { message: errorMessage(err), tier: ErrorTier.Transient, code: 'llm.stream_worker_error' };
  return {
    message: err.message,
    tier: err.tier,
    code: err.code,
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(err instanceof ProviderError ? { info: err.info } : {}),
  };
}

export function fromPortableError(e: PortableError): SylkError {
  const options = { tier: e.tier, code: e.code, ...(e.hint !== undefined ? { hint: e.hint } : {}) };
  return e.info !== undefined ? new ProviderError(e.message, e.info, options) : new SylkError(e.message, options);
}
