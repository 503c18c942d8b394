/**
 * The parts of sylkd whose memory the pressure monitor budgets and can shrink: what attached
 * clients have not read yet, background processes' recent output, and the conversations of
 * loaded session runtimes.
 */
import type { MemoryComponent } from '@sylk/resources';
import type { EventLogs } from '@sylk/sessions';
import type { BackgroundHandle } from '@sylk/tools';
import type { Message } from '@sylk/llm';

/**
 * Events held for attached clients that have not read them (the attach fan-out). Eviction drops
 * the largest buffers: those clients get a resync and replay from disk.
 */
export function eventBuffers(logs: Pick<EventLogs, 'subscriptions'>): MemoryComponent {
  return {
    name: 'event-buffers',
    bytes: () => logs.subscriptions().reduce((sum, s) => sum + s.heldBytes, 0),
    evict(target) {
      const subs = logs.subscriptions().sort((a, b) => b.heldBytes - a.heldBytes);
      let held = subs.reduce((sum, s) => sum + s.heldBytes, 0);
      let freed = 0;
      for (const s of subs) {
        if (held <= target) break;
        const bytes = s.shed();
        held -= bytes;
        freed += bytes;
      }
      return freed;
    },
  };
}

/** Background processes' recent output (kept for `sylk ps logs`; all of it is in the spool files too). */
export function backgroundOutput(processes: () => readonly BackgroundHandle[]): MemoryComponent {
  return {
    name: 'background-output',
    bytes: () => processes().reduce((sum, p) => sum + p.outputBytes, 0),
    evict(target) {
      const list = processes();
      const held = list.reduce((sum, p) => sum + p.outputBytes, 0);
      if (held <= target || held === 0) return 0;
      // Each keeps the same share of its output.
      const keep = target / held;
      return list.reduce((sum, p) => sum + p.trimOutput(Math.floor(p.outputBytes * keep)), 0);
    },
  };
}

/** Per message beyond its text: the object, its role, ids and arrays. */
const MESSAGE_OVERHEAD_BYTES = 200;

/** An estimate of the memory a conversation holds (JS strings: 2 bytes a character at most). */
function conversationBytes(history: readonly Message[]): number {
  let bytes = 0;
  for (const m of history) {
    bytes += MESSAGE_OVERHEAD_BYTES + 2 * m.content.length;
    for (const call of m.toolCalls ?? []) bytes += 2 * (call.argumentsText?.length ?? 64);
  }
  return bytes;
}

interface LoadedRuntime {
  readonly id: string;
  readonly history: readonly Message[];
}

/**
 * The conversations of loaded session runtimes. Eviction unloads quiet ones (no turn, client,
 * approval or process holds them), largest first; they load again from disk on their next use.
 */
export function sessionRuntimes(host: {
  loadedRuntimes(): readonly LoadedRuntime[];
  unloadIfQuiet(sessionId: string): boolean;
}): MemoryComponent {
  return {
    name: 'session-runtimes',
    bytes: () => host.loadedRuntimes().reduce((sum, rt) => sum + conversationBytes(rt.history), 0),
    evict(target) {
      const sized = host
        .loadedRuntimes()
        .map((rt) => ({ id: rt.id, bytes: conversationBytes(rt.history) }))
        .sort((a, b) => b.bytes - a.bytes);
      let held = sized.reduce((sum, r) => sum + r.bytes, 0);
      let freed = 0;
      for (const r of sized) {
        if (held <= target) break;
        if (!host.unloadIfQuiet(r.id)) continue;
        held -= r.bytes;
        freed += r.bytes;
      }
      return freed;
    },
  };
}
