import { describe, expect, it } from 'vitest';
import { canTransition, type SessionState } from '@sylk/sessions';
import {
  BUSY_STATES,
  RUNTIME_EVENTS,
  RUNTIME_STATES,
  RUNTIME_TRANSITIONS,
  RuntimeMachine,
  type RuntimeEvent,
  type RuntimeState,
} from './runtime-states.js';

const LOADED: SessionState[] = ['created', 'idle', 'completed', 'failed', 'paused', 'closed'];

/** Every (state, recorded registry state) a runtime can reach from a loaded session, with the events that lead there. */
function reachable(): Map<
  string,
  { state: RuntimeState; recorded: SessionState; loaded: SessionState; path: RuntimeEvent[] }
> {
  const seen = new Map<
    string,
    { state: RuntimeState; recorded: SessionState; loaded: SessionState; path: RuntimeEvent[] }
  >();
  const todo = LOADED.map((loaded) => {
    const m = new RuntimeMachine('s', loaded);
    return { state: m.state, recorded: loaded, loaded, path: [] as RuntimeEvent[] };
  });
  while (todo.length > 0) {
    const node = todo.shift() as (typeof todo)[number];
    const key = `${node.state}/${node.recorded}`;
    if (seen.has(key)) continue;
    seen.set(key, node);
    for (const event of RUNTIME_EVENTS) {
      const m = replay(node.loaded, node.path);
      if (!m.can(event)) continue;
      m.fire(event);
      todo.push({ state: m.state, recorded: m.recorded, loaded: node.loaded, path: [...node.path, event] });
    }
  }
  return seen;
}

function replay(loaded: SessionState, path: RuntimeEvent[]): RuntimeMachine {
  const m = new RuntimeMachine('s', loaded);
  for (const event of path) m.fire(event);
  return m;
}

describe('the session runtime state machine', () => {
  const nodes = [...reachable().values()];

  it('starts idle, paused or closed as the registry says, and reaches every state', () => {
    expect(LOADED.map((s) => new RuntimeMachine('s', s).state)).toEqual([
      'idle',
      'idle',
      'idle',
      'idle',
      'paused',
      'closed',
    ]);
    expect(new Set(nodes.map((n) => n.state))).toEqual(new Set(RUNTIME_STATES));
  });

  // Every state with every registry state it can hold, against every event.
  for (const node of nodes) {
    for (const event of RUNTIME_EVENTS) {
      const move = RUNTIME_TRANSITIONS[node.state][event];
      const registryRefuses =
        move?.record !== undefined && move.record !== node.recorded && !canTransition(node.recorded, move.record);
      if (move === undefined || registryRefuses) {
        it(`${node.state} (recorded ${node.recorded}) refuses ${event}`, () => {
          const m = replay(node.loaded, node.path);
          expect(m.can(event)).toBe(false);
          const err = (() => {
            try {
              m.fire(event);
            } catch (e) {
              return e;
            }
            return undefined;
          })();
          expect(err).toMatchObject({
            code: registryRefuses
              ? 'sessions.invalid_transition'
              : expect.stringMatching(/^(failed_precondition|shutting_down)$/),
          });
          // A refused event changes nothing.
          expect([m.state, m.recorded]).toEqual([node.state, node.recorded]);
        });
      } else {
        it(`${node.state} (recorded ${node.recorded}) --${event}--> ${move.to}${move.record ? `, records ${move.record}` : ''}${move.stopsWork ? ', stops the work' : ''}`, () => {
          const m = replay(node.loaded, node.path);
          expect(m.can(event)).toBe(true);
          expect(m.fire(event)).toBe(move);
          expect(m.state).toBe(move.to);
          expect(m.recorded).toBe(move.record ?? node.recorded);
          expect(m.busy).toBe(BUSY_STATES.includes(move.to));
        });
      }
    }
  }

  it('the registry refuses only pausing a session whose last turn failed or completed', () => {
    const refused = nodes.flatMap((n) =>
      RUNTIME_EVENTS.filter((e) => {
        const move = RUNTIME_TRANSITIONS[n.state][e];
        return move?.record !== undefined && move.record !== n.recorded && !canTransition(n.recorded, move.record);
      }).map((e) => `${n.state}/${n.recorded}: ${e}`),
    );
    expect(new Set(refused.map((r) => r.replace(/^\w+\//, '').replace(/:.*/, '')))).toEqual(
      new Set(['failed', 'completed']),
    );
    expect(refused.every((r) => r.endsWith(': pause'))).toBe(true);
  });

  it('keeps the registry state at shutdown: a turn recorded running is marked interrupted at the next start', () => {
    const m = new RuntimeMachine('s', 'idle');
    m.fire('start_turn');
    m.fire('ask');
    expect(m.fire('shutdown')).toMatchObject({ to: 'stopping', stopsWork: true });
    expect(m.can('answered')).toBe(false);
    m.fire('turn_done');
    expect([m.state, m.recorded]).toEqual(['stopping', 'waiting_approval']);
  });

  it('names what to do when refused', () => {
    const running = new RuntimeMachine('brave-otter', 'idle');
    running.fire('start_turn');
    expect(() => running.fire('compact')).toThrow(
      expect.objectContaining({
        code: 'failed_precondition',
        message: 'session brave-otter cannot compact while running',
      }),
    );
    const closed = new RuntimeMachine('brave-otter', 'closed');
    expect(() => closed.fire('resume')).toThrow(
      expect.objectContaining({ code: 'failed_precondition', message: 'session brave-otter is closed' }),
    );
  });
});
