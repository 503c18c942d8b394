import { abortReason } from '@sylk/core';
import type {
  HealthResult,
  LLMRequest,
  LLMResponse,
  ProviderAdapter,
  ProviderName,
  StreamChunk,
  Usage,
} from '../../types.js';
import { ResponseAccumulator } from '../../accumulator.js';
import type { SleepFn } from '../types.js';

/** One scripted step of a fake provider stream. */
export type FakeStep = StreamChunk | { wait: number } | { fail: Error } | { until: Promise<void> };
export type FakeScript = (request: LLMRequest, call: number) => FakeStep[];

export function reply(text: string, usage: Partial<Usage> = { inputTokens: 10, outputTokens: 5 }): FakeStep[] {
  return [
    { type: 'start', model: 'fake-model' },
    { type: 'text', text },
    { type: 'usage', usage },
    { type: 'stop', stopReason: 'end_turn' },
  ];
}

/** In-process ProviderAdapter driven by a script; waits go through the injected sleep. */
export class FakeAdapter implements ProviderAdapter {
  readonly calls: LLMRequest[] = [];
  /** Streams currently open (started, not finished). */
  open = 0;

  constructor(
    readonly name: ProviderName = 'anthropic',
    public script: FakeScript = () => reply('ok'),
    private readonly sleep: SleepFn = () => Promise.resolve(),
  ) {}

  async *stream(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk> {
    const call = this.calls.push(request) - 1;
    this.open++;
    try {
      for (const step of this.script(request, call)) {
        if (signal?.aborted) throw abortReason(signal);
        if ('wait' in step) await this.sleep(step.wait, signal);
        else if ('fail' in step) throw step.fail;
        else if ('until' in step) await untilOrAbort(step.until, signal);
        else yield step;
      }
    } finally {
      this.open--;
    }
  }

  async generate(request: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
    const acc = new ResponseAccumulator(request.model);
    for await (const chunk of this.stream(request, signal)) acc.add(chunk);
    return acc.toResponse(acc.usage(0, true));
  }

  countTokens(request: Pick<LLMRequest, 'messages' | 'systemPrompt'>): number {
    return Math.ceil(
      ((request.systemPrompt ?? '').length + request.messages.reduce((n, m) => n + m.content.length, 0)) / 4,
    );
  }

  healthCheck(): Promise<HealthResult> {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function untilOrAbort(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => reject(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, reject);
  });
}
