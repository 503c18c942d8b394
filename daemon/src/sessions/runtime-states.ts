import { ErrorTier, SylkError } from '@sylk/core';
import { allowedTransitions, canTransition, type SessionState } from '@sylk/sessions';

/**
 * What a loaded session's runtime is doing. The registry's state (`SessionState`, what clients
 * see) is written by these moves only: a loaded runtime is its session's one writer.
 * @internal exported for tests
 */
export const RUNTIME_STATES = [
  /** Nothing runs; the next input starts a turn (registry: created, idle, completed or failed). */
  'idle',
  /** A turn runs. */
  'running',
  /** The turn waits for the user's decision on one or more approvals. */
  'waiting_approval',
  /** `/compact` runs; inputs wait for it. */
  'compacting',
  /** Inputs wait; nothing runs. */
  'paused',
  /** Paused, with work still ending: the turn the pause cancelled, or a `/compact` sent while paused. */
  'paused_busy',
  /** sylkd stops: the work is stopped and the registry keeps its state (a turn's "running" is marked interrupted at the next start). */
  'stopping',
  /** `close`: the work and the session's processes are being stopped. */
  'closing',
  /** Final. */
  'closed',
] as const;
export type RuntimeState = (typeof RUNTIME_STATES)[number];

/** @internal exported for tests */
export const RUNTIME_EVENTS = [
  /** The next input's turn begins. */
  'start_turn',
  /** The turn raised an approval (approvals raised outside a turn, by the network proxy, move nothing). */
  'ask',
  /** The last approval the turn waited for was decided. */
  'answered',
  /** The turn ended. */
  'turn_done',
  /** The turn ended in an error. */
  'turn_failed',
  /** `/compact` begins. */
  'compact',
  /** `/compact` ended, whatever its outcome. */
  'compacted',
  /** `sylk cancel`: the work in progress stops; the state follows when it has ended. */
  'cancel',
  'pause',
  /** `sylk resume` (or an approval decided after a restart): the queue runs again, an interrupted turn first. */
  'resume',
  'close',
  /** The closing work and processes are stopped. */
  'closed',
  /** sylkd stops. */
  'shutdown',
] as const;
export type RuntimeEvent = (typeof RUNTIME_EVENTS)[number];

/** What a transition does: the state it goes to, the registry state it records, whether it stops the work in progress. */
export interface Move {
  to: RuntimeState;
  record?: SessionState;
  stopsWork?: true;
}

const stay = (to: RuntimeState): Move => ({ to });
const stop = (to: RuntimeState, record?: SessionState): Move => ({
  to,
  stopsWork: true,
  ...(record !== undefined ? { record } : {}),
});
/** Work that ends when the session already left it (paused, stopping, closing): the state it is in stays. */
const workEnds = (to: RuntimeState): Partial<Record<RuntimeEvent, Move>> => ({
  turn_done: stay(to),
  turn_failed: stay(to),
  compacted: stay(to),
});

/**
 * Every allowed move; an event missing from a state's row is refused.
 * @internal exported for tests
 */
export const RUNTIME_TRANSITIONS: Readonly<Record<RuntimeState, Readonly<Partial<Record<RuntimeEvent, Move>>>>> = {
  idle: {
    start_turn: { to: 'running', record: 'running' },
    compact: stay('compacting'),
    pause: { to: 'paused', record: 'paused' },
    resume: stay('idle'),
    close: stay('closing'),
    shutdown: stay('stopping'),
  },
  running: {
    ask: { to: 'waiting_approval', record: 'waiting_approval' },
    turn_done: { to: 'idle', record: 'idle' },
    turn_failed: { to: 'idle', record: 'failed' },
    cancel: stop('running'),
    pause: stop('paused_busy', 'paused'),
    resume: stay('running'),
    close: stop('closing'),
    shutdown: stop('stopping'),
  },
  waiting_approval: {
    ask: stay('waiting_approval'),
    answered: { to: 'running', record: 'running' },
    cancel: stop('waiting_approval'),
    pause: stop('paused_busy', 'paused'),
    resume: stay('waiting_approval'),
    close: stop('closing'),
    shutdown: stop('stopping'),
  },
  compacting: {
    compacted: stay('idle'),
    cancel: stop('compacting'),
    pause: stop('paused_busy', 'paused'),
    resume: stay('compacting'),
    close: stop('closing'),
    shutdown: stop('stopping'),
  },
  paused: {
    compact: stay('paused_busy'),
    pause: stay('paused'),
    resume: { to: 'idle', record: 'idle' },
    close: stay('closing'),
    shutdown: stay('stopping'),
  },
  paused_busy: {
    ...workEnds('paused'),
    cancel: stop('paused_busy'),
    pause: stop('paused_busy'),
    close: stop('closing'),
    shutdown: stop('stopping'),
  },
  stopping: workEnds('stopping'),
  closing: { ...workEnds('closing'), closed: { to: 'closed', record: 'closed' } },
  closed: {},
};

/**
 * States in which a turn or a compaction may still run (undo, compaction and deletion wait for none).
 * @internal exported for tests
 */
export const BUSY_STATES: readonly RuntimeState[] = [
  'running',
  'waiting_approval',
  'compacting',
  'paused_busy',
  'stopping',
  'closing',
];

/** The runtime state of a session loaded in `recorded` (a turn a crash left "running" was marked interrupted, idle, at start). */
function initialState(recorded: SessionState): RuntimeState {
  if (recorded === 'closed') return 'closed';
  return recorded === 'paused' ? 'paused' : 'idle';
}

/** The error for an event the session's state refuses. */
export function refusal(name: string, state: RuntimeState, event: RuntimeEvent): SylkError {
  if (state === 'closed' || state === 'closing')
    return new SylkError(`session ${name} is closed`, {
      code: 'failed_precondition',
      tier: ErrorTier.UserFixable,
      hint: 'start a new session (sylk run)',
    });
  if (state === 'stopping')
    return new SylkError('sylkd is shutting down', {
      code: 'shutting_down',
      tier: ErrorTier.Transient,
      hint: 'try again once sylkd is back',
    });
  return new SylkError(`session ${name} cannot ${event.replace('_', ' ')} while ${state.replace('_', ' ')}`, {
    code: 'failed_precondition',
    tier: ErrorTier.UserFixable,
    hint: `wait for what it is doing to end, or cancel it (sylk cancel ${name}), then try again`,
  });
}

/**
 * One session's state and the registry state it last recorded. `fire` moves synchronously, so
 * the state always tells what runs; the caller applies the move (records, stops the work).
 */
export class RuntimeMachine {
  private current: RuntimeState;

  constructor(
    private readonly name: string,
    private recordedState: SessionState,
  ) {
    this.current = initialState(recordedState);
  }

  get state(): RuntimeState {
    return this.current;
  }

  /** What the registry holds (as this runtime last wrote it). */
  get recorded(): SessionState {
    return this.recordedState;
  }

  get busy(): boolean {
    return BUSY_STATES.includes(this.current);
  }

  can(event: RuntimeEvent): boolean {
    return this.move(event) !== undefined;
  }

  /** Takes the move, or throws the refusal (a state the registry would refuse too, e.g. pausing a failed session). */
  fire(event: RuntimeEvent): Move {
    const move = RUNTIME_TRANSITIONS[this.current][event];
    if (move === undefined) throw refusal(this.name, this.current, event);
    if (
      move.record !== undefined &&
      move.record !== this.recordedState &&
      !canTransition(this.recordedState, move.record)
    ) {
      const allowed = allowedTransitions(this.recordedState);
      throw new SylkError(`session ${this.name} cannot go from ${this.recordedState} to ${move.record}`, {
        code: 'sessions.invalid_transition',
        tier: ErrorTier.Permanent,
        hint:
          allowed.length === 0
            ? `A ${this.recordedState} session is final.`
            : `From ${this.recordedState} it can go to: ${allowed.join(', ')}.`,
      });
    }
    this.current = move.to;
    if (move.record !== undefined) this.recordedState = move.record;
    return move;
  }

  private move(event: RuntimeEvent): Move | undefined {
    const move = RUNTIME_TRANSITIONS[this.current][event];
    if (move?.record === undefined || move.record === this.recordedState) return move;
    return canTransition(this.recordedState, move.record) ? move : undefined;
  }
}
