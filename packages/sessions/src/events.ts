/** What happened in a session; clients render each kind. Add new kinds at the end. */
export const EVENT_KINDS = [
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
 */
export function storedEvent(seq: number, ts: number, kind: EventKind, json: string): SessionEvent {
  let parsed: EventData | undefined;
  const event = {
    seq,
    ts,
    kind,
    get data(): EventData {
      parsed ??= Object.freeze(JSON.parse(json) as EventData);
      return parsed;
    },
  };
  Object.defineProperty(event, 'json', { value: json, enumerable: false });
  return event;
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
