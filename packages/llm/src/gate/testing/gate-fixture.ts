import { silentLogger } from '@sylk/core';
import type { LLMRequest, ModelInfo, ProviderName } from '../../types.js';
import { LLMGate } from '../gate.js';
import type { LLMGateOptions } from '../gate.js';
import type { GateEventMap, GateEventName } from '../events.js';
import type { GateRequest } from '../types.js';
import { FakeAdapter } from './fake-adapter.js';
import type { FakeScript } from './fake-adapter.js';
import { ManualTime } from './manual-time.js';

const sonnet: ModelInfo = {
  id: 'sonnet',
  provider: 'anthropic',
  contextWindow: 200_000,
  maxOutputTokens: 8_192,
  inputPrice: 3,
  outputPrice: 15,
};

const EVENT_NAMES: GateEventName[] = [
  'preempted',
  'requeued',
  'retry_scheduled',
  'paused',
  'resumed',
  'circuit_state',
  'quota_warning',
  'budget_warning',
  'transient_alert',
  'stream_mode',
];

type Recorded = { [K in GateEventName]: { name: K; event: GateEventMap[K] } }[GateEventName];

/** A gate over a scripted fake adapter on virtual time, recording every event. */
export function gateFixture(options: Partial<LLMGateOptions> & { script?: FakeScript } = {}) {
  const time = new ManualTime();
  const adapter = new FakeAdapter('anthropic', options.script, time.sleep);
  const gate = new LLMGate({
    adapters: async () => adapter,
    pricing: () => sonnet,
    estimateTokens: () => 100,
    clock: time.clock,
    sleep: time.sleep,
    timers: time.timers,
    random: () => 0.5,
    logger: silentLogger(),
    ...options,
  });
  const events: Recorded[] = [];
  for (const name of EVENT_NAMES) gate.on(name, (event) => events.push({ name, event } as Recorded));
  const of = <K extends GateEventName>(name: K): GateEventMap[K][] =>
    events.filter((e) => e.name === name).map((e) => e.event as GateEventMap[K]);
  return { gate, adapter, time, events, of };
}

/** A request whose single user message carries `name`, so scripts and assertions can tell them apart. */
export function req(
  name: string,
  priority: number,
  extra: Partial<GateRequest> = {},
  provider: ProviderName = 'anthropic',
): GateRequest {
  return {
    id: name,
    provider,
    priority,
    request: { model: 'sonnet', messages: [{ role: 'user', content: name }] },
    ...extra,
  };
}

export const nameOf = (r: LLMRequest): string => r.messages[0]?.content ?? '';

/** A promise plus its resolver. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
