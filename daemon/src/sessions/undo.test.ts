import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SylkError, createLogger } from '@sylk/core';
import { EventLog } from '@sylk/sessions';
import { SnapshotStore } from '@sylk/tools';
import { recordTurnSnapshot, rewindTurn, turnsOf } from './undo.js';
import type { SessionRuntime } from './runtime.js';

let base: string;
let project: string;
let log: EventLog;
let running: boolean;
let historyLength: number;

/** The part of a SessionRuntime undo uses: a real event log and snapshot store. */
function runtime(): SessionRuntime {
  const snapshots = new SnapshotStore({ storeRoot: join(base, 'snapshots'), projectRoot: project });
  return {
    id: 's1',
    log,
    snapshots,
    get turnRunning() {
      return running;
    },
    append: (kind: Parameters<EventLog['append']>[0], data: Record<string, unknown>) => log.append(kind, data),
    rewindHistory: (length: number) => {
      if (length >= historyLength) return false;
      historyLength = length;
      return true;
    },
  } as unknown as SessionRuntime;
}

const logger = createLogger(undefined, { level: 'silent' });

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-undo-')));
  project = join(base, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'a.txt'), 'original\n');
  log = new EventLog({ path: join(base, 'events.db') });
  running = false;
  historyLength = 0;
});
afterEach(() => {
  log.close();
  rmSync(base, { recursive: true, force: true });
});

/** A turn as the runtime records it: snapshot, the agent's work, snapshot. */
async function turn(rt: SessionRuntime, work: () => Promise<void>) {
  await recordTurnSnapshot(rt, 'before', historyLength, logger);
  await work();
  historyLength += 2;
  await recordTurnSnapshot(rt, 'after', historyLength, logger);
}

describe('undo', () => {
  it('numbers turns from their snapshots, reverts the last, and lists the commands it ran', async () => {
    const rt = runtime();
    await turn(rt, async () => writeFileSync(join(project, 'a.txt'), 'turn 1\n'));
    await turn(rt, async () => {
      await log.append('tool_started', {
        callId: 'c1',
        name: 'run_command',
        args: { command: 'npm publish' },
        summary: 'npm publish',
      });
      writeFileSync(join(project, 'a.txt'), 'turn 2\n');
    });
    const turns = await turnsOf(rt);
    expect(turns.map((t) => [t.turn, t.historyLength, t.commands])).toEqual([
      [1, 0, []],
      [2, 2, ['npm publish']],
    ]);
    const receipt = await rewindTurn(rt, {}, 's1');
    expect(receipt).toMatchObject({
      turn: 2,
      rewoundTurns: [2],
      restored: [{ path: 'a.txt', action: 'restored' }],
      sideEffects: [{ turn: 2, summary: 'npm publish' }],
      conversationRewound: true,
    });
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('turn 1\n');
    expect(historyLength).toBe(2);
    // The next undo takes the turn before.
    expect((await rewindTurn(rt, {}, 's1')).turn).toBe(1);
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('original\n');
    await expect(rewindTurn(rt, {}, 's1')).rejects.toMatchObject({ code: 'undo.nothing' });
  });

  it('records a failed snapshot as an event without failing, and that turn cannot be rewound', async () => {
    const rt = runtime();
    Object.assign(rt, {
      snapshots: new SnapshotStore({
        storeRoot: join(base, 'snapshots'),
        projectRoot: project,
        env: { PATH: join(base, 'no-git-here') },
      }),
    });
    await turn(rt, async () => writeFileSync(join(project, 'a.txt'), 'turn 1\n'));
    const [before] = (await turnsOf(rt)).map((t) => t.before);
    expect(before).toBeUndefined();
    const events: unknown[] = [];
    for await (const e of log.replay(1, 10, log.lastSeq)) events.push(e.data);
    expect(events[0]).toMatchObject({ phase: 'before', error: expect.stringContaining('git') });
    await expect(rewindTurn(rt, { turn: 1 }, 's1')).rejects.toMatchObject({ code: 'undo.not_recorded' });
  });

  it('refuses while a turn runs, and names an unknown turn', async () => {
    const rt = runtime();
    await turn(rt, async () => writeFileSync(join(project, 'a.txt'), 'turn 1\n'));
    running = true;
    const refused = await rewindTurn(rt, {}, 's1').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SylkError);
    expect(refused).toMatchObject({ code: 'failed_precondition', hint: expect.stringContaining('sylk cancel s1') });
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('turn 1\n');
    running = false;
    await expect(rewindTurn(rt, { turn: 5 }, 's1')).rejects.toMatchObject({
      code: 'invalid_argument',
      hint: 'choose a turn from 1 to 1',
    });
  });
});
