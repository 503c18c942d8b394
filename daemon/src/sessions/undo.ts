import { ErrorTier, SylkError, errorMessage, type Logger } from '@sylk/core';
import { readLog } from '@sylk/sessions';
import type { KeptFile, RestoredFile, Snapshot, TurnTrees } from '@sylk/tools';
import type { SessionRuntime } from './runtime.js';
import { headOf, undoTurnCommits } from './undo-commits.js';

/** Paths of too-large files kept in a `turn_snapshot` event at most (the event stays small). */
const MAX_SKIPPED_IN_EVENT = 200;

/**
 * Records the project's files before or after a turn as a `turn_snapshot` event (tree id and the
 * conversation length), so undo and rollback survive restarts. A failed snapshot never fails the
 * turn: the event says why, and that turn cannot be rewound.
 */
export async function recordTurnSnapshot(
  rt: SessionRuntime,
  phase: 'before' | 'after',
  historyLength: number,
  logger: Logger,
): Promise<void> {
  const store = rt.snapshots;
  if (store === undefined) return;
  let data: Record<string, unknown>;
  try {
    const snap = await store.track();
    const head = rt.projectGit === undefined ? undefined : await headOf(rt.projectGit);
    data = {
      phase,
      tree: snap.tree,
      historyLength,
      ...(head !== undefined ? { head } : {}),
      ...(snap.skipped.length > 0
        ? { skipped: snap.skipped.slice(0, MAX_SKIPPED_IN_EVENT), skippedCount: snap.skipped.length }
        : {}),
    };
  } catch (err) {
    logger.warn({ err, session: rt.id, phase }, 'could not snapshot the project files');
    data = { phase, error: errorMessage(err), historyLength };
  }
  await rt
    .append('turn_snapshot', data)
    .catch((err: unknown) => logger.error({ err, session: rt.id }, 'event append failed'));
}

/** A turn as its events tell it: its snapshots, what it ran, whether it was rewound. */
export interface TurnRecord {
  turn: number;
  before?: string;
  after?: string;
  /** The project's HEAD commit when the turn began / ended (absent: no repository). */
  beforeHead?: string;
  afterHead?: string;
  skipped: string[];
  /** The conversation's length when the turn began; -1 after a compaction (not rewound then). */
  historyLength: number;
  commands: string[];
  rewound: boolean;
}

/**
 * The session's turns, numbered from 1 in the order they began.
 * @internal exported for tests
 */
export async function turnsOf(rt: SessionRuntime): Promise<TurnRecord[]> {
  const turns: TurnRecord[] = [];
  for await (const e of readLog(rt.log, 1)) {
    const last = turns[turns.length - 1];
    if (e.kind === 'turn_snapshot') {
      const tree = typeof e.data.tree === 'string' ? e.data.tree : undefined;
      const head = typeof e.data.head === 'string' ? e.data.head : undefined;
      if (e.data.phase === 'before') {
        turns.push({
          turn: turns.length + 1,
          ...(tree !== undefined ? { before: tree } : {}),
          ...(head !== undefined ? { beforeHead: head } : {}),
          skipped: Array.isArray(e.data.skipped)
            ? e.data.skipped.filter((p): p is string => typeof p === 'string')
            : [],
          historyLength: typeof e.data.historyLength === 'number' ? e.data.historyLength : 0,
          commands: [],
          rewound: false,
        });
      } else if (last !== undefined && tree !== undefined) {
        last.after = tree;
        if (head !== undefined) last.afterHead = head;
      }
    } else if (e.kind === 'tool_started' && e.data.name === 'run_command' && last !== undefined) {
      last.commands.push(typeof e.data.summary === 'string' ? e.data.summary : 'a command');
    } else if (e.kind === 'compacted') {
      // The conversation was summarised: lengths recorded before no longer index it.
      for (const t of turns) t.historyLength = -1;
    } else if (e.kind === 'turn_rewound' && Array.isArray(e.data.turns)) {
      for (const n of e.data.turns) {
        const t = typeof n === 'number' ? turns[n - 1] : undefined;
        if (t !== undefined) t.rewound = true;
      }
    }
  }
  return turns;
}

export interface RewindOptions {
  /** 1-based; 0 or absent: the last turn not yet rewound (undo). */
  turn?: number;
  force?: boolean;
  filesOnly?: boolean;
}

export interface RewindReceipt {
  turn: number;
  rewoundTurns: number[];
  restored: RestoredFile[];
  kept: KeptFile[];
  unchanged: number;
  sideEffects: { turn: number; summary: string }[];
  conversationRewound: boolean;
  /** What happened to commits the turns made (see undoTurnCommits); '' when they made none. */
  commits: string;
}

const userFixable = (message: string, code: string, hint: string) =>
  new SylkError(message, { code, tier: ErrorTier.UserFixable, hint });

/**
 * Returns the project's files (and, unless `filesOnly`, the conversation) to how they were before
 * a turn. Only the files the rewound turns changed are touched; one changed since (by the user)
 * is reported and kept unless `force`. Commands the turns ran are listed: they cannot be undone.
 */
export async function rewindTurn(rt: SessionRuntime, opts: RewindOptions, session: string): Promise<RewindReceipt> {
  if (rt.turnRunning)
    throw userFixable(
      `session ${session} is running a turn`,
      'failed_precondition',
      `cancel it first (sylk cancel ${session}), then undo`,
    );
  const store = rt.snapshots;
  if (store === undefined)
    throw userFixable(
      'this daemon does not record turn snapshots',
      'failed_precondition',
      'restart sylkd with a data directory',
    );
  const turns = await turnsOf(rt);
  const wanted =
    opts.turn !== undefined && opts.turn > 0
      ? opts.turn
      : [...turns].reverse().find((t) => !t.rewound && t.before !== undefined)?.turn;
  if (wanted === undefined)
    throw userFixable(
      `session ${session} has no turn to undo`,
      'undo.nothing',
      'every recorded turn is already undone, or its snapshot failed (see the turn_snapshot events in `sylk logs`)',
    );
  const first = turns[wanted - 1];
  if (first === undefined)
    throw userFixable(
      `session ${session} has no turn ${wanted}`,
      'invalid_argument',
      turns.length === 0 ? 'the session has no recorded turns yet' : `choose a turn from 1 to ${turns.length}`,
    );
  if (first.before === undefined)
    throw userFixable(
      `turn ${wanted} of session ${session} has no file snapshot`,
      'undo.not_recorded',
      'its snapshot failed when the turn began (see the turn_snapshot event in `sylk logs`); choose another turn',
    );
  // Turns a previous undo already reverted are left out: their files are back where they were.
  const later = turns.filter((t) => t.turn >= wanted && !t.rewound && t.before !== undefined);
  // A turn without an after-snapshot (the daemon stopped mid-turn): its files as they are now.
  const now = later.some((t) => t.after === undefined) ? (await store.track()).tree : undefined;
  const trees: TurnTrees[] = later.map((t) => ({ before: t.before as string, after: t.after ?? (now as string) }));
  const target: Snapshot = { tree: first.before, skipped: first.skipped };
  const files = await store.revert(target, trees, { force: opts.force === true });
  const lastTurn = later[later.length - 1];
  const commits =
    rt.projectGit === undefined ? '' : await undoTurnCommits(rt.projectGit, first.beforeHead, lastTurn?.afterHead);
  const conversationRewound =
    opts.filesOnly !== true && first.historyLength >= 0 && rt.rewindHistory(first.historyLength);
  const receipt: RewindReceipt = {
    turn: wanted,
    rewoundTurns: later.map((t) => t.turn),
    restored: files.restored,
    kept: files.kept,
    unchanged: files.unchanged.length,
    sideEffects: later.flatMap((t) => t.commands.map((summary) => ({ turn: t.turn, summary }))),
    conversationRewound,
    commits,
  };
  await rt.append('turn_rewound', {
    turn: wanted,
    turns: receipt.rewoundTurns,
    restored: receipt.restored.length,
    kept: receipt.kept.slice(0, MAX_SKIPPED_IN_EVENT),
    force: opts.force === true,
    conversationRewound,
    ...(commits !== '' ? { commits } : {}),
  });
  return receipt;
}
