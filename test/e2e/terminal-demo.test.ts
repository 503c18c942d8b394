// `sylk demo` in a real terminal (tmux): detaching leaves the demo's session running, prints the
// exact command to get back to it, and does not judge the tests the agent has not finished with.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, makeHome, parseJson, runCli, waitFor, type SylkHome } from '../helpers/sylk.js';
import { startTmux, type Tmux } from '../helpers/tmux.js';

let terminals: Tmux[] = [];
let homes: SylkHome[] = [];
let cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const t of terminals) t.kill();
  for (const c of cleanups) c();
  await Promise.all(homes.map((h) => h.cleanup()));
  terminals = [];
  homes = [];
  cleanups = [];
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('sylk demo (tmux)', () => {
  it('detaching keeps the session; the printed SYLK_SOCKET=… sylk attach demo gets back to it', async () => {
    const h = makeHome({});
    homes.push(h);
    const tmp = join(h.home, 'tmp');
    mkdirSync(tmp);
    const env = { ...h.env, TMPDIR: tmp };
    const demo = startTmux(`${process.execPath} ${CLI} demo`, env);
    terminals.push(demo);
    await demo.waitFor((t) => t.includes('Allow this?'), 'the first approval');
    demo.keys(['C-]']);
    const screen = await demo.waitFor((t) => t.includes('[exited 0]'), 'the demo to exit');
    expect(screen).not.toContain('tests still fail');
    const back = /Back to it: SYLK_SOCKET=(\S+) sylk attach demo/.exec(screen);
    const done = /When done: SYLK_SOCKET=\S+ sylk daemon stop; kill (\d+); rm -rf (\S+)/.exec(screen);
    if (back === null || done === null) throw new Error(`no re-attach hint on the screen:\n${screen}`);
    const socket = back[1] as string;
    const emulatorPid = Number(done[1]);
    cleanups.push(() => {
      try {
        execFileSync(process.execPath, [CLI, 'daemon', 'stop'], { env: { ...env, SYLK_SOCKET: socket } });
      } catch {
        // already stopped
      }
      if (alive(emulatorPid)) process.kill(emulatorPid, 'SIGTERM');
    });
    expect(alive(emulatorPid)).toBe(true);

    // From another terminal, exactly as printed: the session is still waiting for the answer.
    const again = startTmux(`${process.execPath} ${CLI} attach demo`, { ...env, SYLK_SOCKET: socket });
    terminals.push(again);
    await again.waitFor((t) => t.includes('attached to demo') && t.includes('Allow this?'), 'the re-attached view');
    const state = async () => {
      const r = await runCli(['ls', '--json'], { env: { ...env, SYLK_SOCKET: socket } });
      return parseJson<{ sessions: { state: string }[] }>(r.stdout).sessions[0]?.state;
    };
    // Answer each approval until the agent is done (the scripted model runs the tests twice).
    await waitFor(
      async () => {
        const s = await state();
        if (s === 'waiting_approval' && again.capture().trimEnd().endsWith('deny with a message to the agent'))
          again.keys(['a']);
        return s === 'idle';
      },
      60_000,
      'the demo session to finish',
    );
    // node --test's summary: TAP to a pipe on Node 22, its spec format from Node 23 on.
    await again.waitFor((t) => /# pass 1|ℹ pass 1/.test(t), 'the tests passing');
  });
});
