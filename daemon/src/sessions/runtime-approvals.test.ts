import { describe, expect, it } from 'vitest';
import type { Approval, ApprovalDecision } from '@sylk/sessions';
import { SessionApprovals, type ApprovalRecorder } from './runtime-approvals.js';
import { RuntimeMachine } from './runtime-states.js';

/** A recorder whose approvals the test decides, and a machine the approvals move. */
function setup(machine: RuntimeMachine) {
  const decide = new Map<string, (d: ApprovalDecision) => void>();
  let next = 0;
  const recorder: ApprovalRecorder = {
    request: async (req) => ({ id: `a${++next}`, kind: req.kind, detail: req.detail }) as Approval,
    wait: (approval, signal) =>
      new Promise<Approval>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        decide.set(approval.id, (decision) => resolve({ ...approval, decision }));
      }),
    allowlistChanged: () => undefined,
  };
  const approvals = new SessionApprovals(recorder, {
    asked: () => machine.can('ask') && machine.fire('ask') !== undefined,
    answered: async () => void (machine.can('answered') && machine.fire('answered')),
  });
  const ask = (detail: string, signal = new AbortController().signal) =>
    approvals.bridge.ask({ kind: 'command', summary: detail, detail, reason: 'r', proposedRule: '' }, signal);
  return { approvals, ask, decide: (id: string, d: ApprovalDecision) => decide.get(id)?.(d) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('session approvals', () => {
  it('a turn waits while any of its approvals is pending, and runs again once the last is decided', async () => {
    const m = new RuntimeMachine('s', 'idle');
    m.fire('start_turn');
    const s = setup(m);
    const first = s.ask('npm test');
    const second = s.ask('make');
    await tick();
    expect([m.state, m.recorded]).toEqual(['waiting_approval', 'waiting_approval']);
    s.decide('a1', 'allow_once');
    expect((await first).decision).toBe('allow_once');
    expect(m.state).toBe('waiting_approval');
    s.decide('a2', 'deny');
    await second;
    expect([m.state, m.recorded]).toEqual(['running', 'running']);
  });

  it('an approval raised outside a turn (the network proxy) leaves the state alone', async () => {
    const m = new RuntimeMachine('s', 'idle');
    const s = setup(m);
    const asked = s.ask('example.com');
    await tick();
    expect(m.state).toBe('idle');
    // A turn starting meanwhile is not left by the proxy's answer.
    m.fire('start_turn');
    s.decide('a1', 'allow_session');
    await asked;
    expect(m.state).toBe('running');
  });

  it('a turn paused while it waits stays paused when the wait ends', async () => {
    const m = new RuntimeMachine('s', 'idle');
    m.fire('start_turn');
    const s = setup(m);
    const abort = new AbortController();
    const asked = s.ask('rm -rf build', abort.signal).catch((err: unknown) => err);
    await tick();
    m.fire('pause');
    abort.abort(new Error('session paused'));
    expect(await asked).toMatchObject({ message: 'session paused' });
    expect([m.state, m.recorded]).toEqual(['paused_busy', 'paused']);
  });

  it('a decision taken after a restart is applied once, when the agent asks again', () => {
    const s = setup(new RuntimeMachine('s', 'idle'));
    s.approvals.predecide('command', 'npm test', 'allow_once');
    expect(s.approvals.bridge.predecided('command', 'make')).toBeUndefined();
    expect(s.approvals.bridge.predecided('command', 'npm test')).toBe('allow_once');
    expect(s.approvals.bridge.predecided('command', 'npm test')).toBeUndefined();
  });
});
