/** What happened in a session; clients render each kind. Add new kinds at the end. */
const EVENT_KINDS = [
  'user_input',
  'assistant_delta',
  'assistant_message',
  'tool_started',
  'tool_output',
  'tool_finished',
  'approval_requested',
  'approval_resolved',
  'state_changed',
  'usage',
  'notice',
  'error',
  'turn_interrupted',
  /** The project's files recorded before/after a turn (snapshot store tree id): undo/rollback. */
  'turn_snapshot',
  /** Files (and conversation) returned to before a turn: the receipt. */
  'turn_rewound',
  /** Reasoning text as the model streams it (Anthropic thinking, OpenAI-compatible reasoning). */
  'thinking_delta',
  /** Older messages were summarised to fit the model's context window: tokens before/after, how many, by which model. */
  'compacted',
  /** A background process (run_command background: true) ended on its own or was stopped from outside the session's tools. */
  'process_exited',
  /** A delegated task (spawn_task) changed state: queued, running, done, conflict, … with its cost and result. */
  'pipeline',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** A JSON object. Treat as read-only: live subscribers share one copy. */
export type EventData = Readonly<Record<string, unknown>>;

export interface SessionEvent {
  /** 1, 2, 3, … per session: monotonic, without gaps. */
  readonly seq: number;
  /** Wall-clock milliseconds when it was appended. */
  readonly ts: number;
  readonly kind: EventKind;
  readonly data: EventData;
  /** `data` exactly as persisted (JSON text); relays forward it without re-encoding. */
  readonly json?: string;
}

/**
 * An event whose `data` is parsed from its persisted JSON on first use: a relay that only
 * forwards `json` never pays for parsing, and every reader gets the same immutable copy.
 * A class, not an object literal with a getter and a defined property: one is built per
 * appended or replayed event, and the literal costs several times more to build.
 */
class StoredEvent implements SessionEvent {
  #parsed: EventData | undefined;
  constructor(
    readonly seq: number,
    readonly ts: number,
    readonly kind: EventKind,
    readonly json: string,
  ) {}

  get data(): EventData {
    this.#parsed ??= Object.freeze(JSON.parse(this.json) as EventData);
    return this.#parsed;
  }
}

export function storedEvent(seq: number, ts: number, kind: EventKind, json: string): SessionEvent {
  return new StoredEvent(seq, ts, kind, json);
}

/** Terminal item for a subscriber that fell behind: re-attach from `fromSeq`. */
export interface ResyncItem {
  readonly type: 'resync';
  readonly fromSeq: number;
}

export type SubscriptionItem = SessionEvent | ResyncItem;

export function isResync(item: SubscriptionItem): item is ResyncItem {
  return 'type' in item && item.type === 'resync';
}

export function isEventKind(value: string): value is EventKind {
  return (EVENT_KINDS as readonly string[]).includes(value);
}

/** An event with its approximate size in bytes, for subscriber buffer accounting. */
export interface Entry {
  readonly event: SessionEvent;
  readonly bytes: number;
}

/** Per-event bookkeeping on top of the JSON payload (seq, ts, kind, object headers). */
export const ENTRY_OVERHEAD_BYTES = 64;
