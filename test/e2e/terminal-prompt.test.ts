// The attached view as a place to work, driven through a real terminal (tmux) against a real
// sylkd and the provider emulator: the prompt stays after a turn, slash commands never reach the
// model, Ctrl-C / Ctrl-D / SIGINT do what they say, and the exit codes match docs/cli.md.
import { describe, expect, it } from 'vitest';
import { CLI, waitFor } from '../helpers/sylk.js';
import { answeringScenario, scenarioFile, sessionHarness, type SessionHarness } from '../helpers/sessions.js';
import { startTmux, type Tmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

async function harness(scenario: Parameters<typeof sessionHarness>[0]): Promise<SessionHarness> {
  const s = await sessionHarness(scenario);
  harnesses.push(s);
  return s;
}

function terminal(s: SessionHarness, cwd: string, args: string, env: NodeJS.ProcessEnv = {}): Tmux {
  const t = startTmux(`cd '${cwd}' && ${process.execPath} ${CLI} ${args}`, { ...s.h.env, ...env });
  terminals.push(t);
  return t;
}

const CHAT = answeringScenario(
  'prompt',
  [
    ['hello', 'hello there', 'Hello from the model.'],
    ['second', 'second question', 'Second answer.'],
  ],
  'Noted.',
);

const inputs = async (s: SessionHarness, session: string) =>
  (await s.events(session)).filter((e) => e.kind === 'user_input').map((e) => e.data.text);

describe('the prompt after a turn (tmux)', () => {
  it('stays in the prompt; slash commands are answered by the CLI, never sent; Ctrl-D leaves (exit 0)', async () => {
    const s = await harness({ scenario: CHAT });
    const project = s.project('chat');
    const term = terminal(s, project, 'run hello there');
    await term.waitFor((t) => t.includes('Hello from the model.'), 'the first answer');
    const [session] = await s.sessions();
    if (session === undefined) throw new Error('no session');
    await s.waitState(session.id, ['idle']);

    term.keys(['second question', 'Enter']);
    await term.waitFor((t) => t.includes('Second answer.'), 'the answer to the second prompt');
    await s.waitState(session.id, ['idle']); // its usage is logged

    term.keys(['/cost', 'Enter']);
    await term.waitFor((t) => /in \/ \d+ out tokens in 2 requests · \$/.test(t), 'the /cost line');
    term.keys(['/nope', 'Enter']);
    await term.waitFor((t) => t.includes('unknown command /nope'), 'the unknown command');
    term.keys(['/co', 'Tab']);
    await term.waitFor((t) => t.includes('/compact  /cost'), 'the candidates of /co');
    term.keys(['C-u', '/di', 'Tab', 'Enter']);
    await term.waitFor((t) => t.includes('no file changes in this session yet'), 'the /diff answer');
    term.keys(['/help', 'Enter']);
    let screen = await term.waitFor((t) => t.includes('/permissions'), 'the /help list');
    for (const name of ['/approvals', '/compact', '/detach', '/edit', '/quit', '/undo']) expect(screen).toContain(name);

    term.keys(['C-d']);
    screen = await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
    expect(screen).toContain(`detached; the session keeps running (sylk attach ${session.id})`);
    expect(await inputs(s, session.id)).toEqual(['hello there', 'second question']);
    expect((await s.session(session.id)).state).toBe('idle');
  });

  it('/diff shows the files the session changed; /approvals and /permissions answer from the daemon', async () => {
    const s = await harness({ path: scenarioFile('fix-failing-test') });
    const project = s.fixtureProject('failing-test');
    const term = terminal(s, project, "run -y 'The test fails. Fix it.'");
    await term.waitFor((t) => t.includes('the tests pass now'), 'the final answer');
    const id = await firstSession(s);
    await s.waitState(id, ['idle']);
    term.keys(['/diff', 'Enter']);
    let screen = await term.waitFor((t) => t.includes('src/math.js  +1 \u22121'), 'the /diff header');
    expect(screen).toContain('  -  return a - b;');
    expect(screen).toContain('  +  return a + b;');
    term.keys(['/approvals', 'Enter']);
    await term.waitFor((t) => t.includes('no pending approvals'), 'the /approvals answer');
    term.keys(['/permissions', 'Enter']);
    screen = await term.waitFor((t) => /no rules in \S+permissions/.test(t), 'the /permissions answer');
    expect(await inputs(s, id)).toEqual(['The test fails. Fix it.']);
    term.keys(['C-d']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });

  it('/model switches the model for the next turns and /clear starts a new conversation; both in the daemon', async () => {
    const s = await harness({ scenario: CHAT });
    const project = s.project('switch');
    const term = terminal(s, project, 'run hello there');
    await term.waitFor((t) => t.includes('Hello from the model.'), 'the first answer');
    const id = await firstSession(s);
    await s.waitState(id, ['idle']);

    term.keys(['/model claude-haiku-4-5', 'Enter']);
    await term.waitFor((t) => t.includes('model: anthropic/claude-haiku-4-5 from the next turn on'), 'the switch');
    term.keys(['/model nosuch:thing', 'Enter']);
    await term.waitFor((t) => t.includes("✗ /model: unknown provider 'nosuch'"), 'the refusal');
    term.keys(['/model', 'Enter']);
    await term.waitFor((t) => t.includes('model: anthropic/claude-haiku-4-5\n'), 'the current model');
    term.keys(['second question', 'Enter']);
    await term.waitFor((t) => t.includes('Second answer.'), 'the second answer');
    await s.waitState(id, ['idle']); // /clear is refused while the turn still runs
    let last = s.emu.requests().at(-1)?.body as { model: string; messages: unknown[] };
    expect(last.model).toBe('claude-haiku-4-5');
    expect(JSON.stringify(last.messages)).toContain('hello there'); // the conversation so far

    term.keys(['/clear', 'Enter']);
    await term.waitFor(
      (t) => t.includes('new conversation: the model no longer sees the 4 earlier messages'),
      '/clear',
    );
    term.keys(['after the clear', 'Enter']);
    await term.waitFor((t) => t.includes('Noted.'), 'the answer after /clear');
    last = s.emu.requests().at(-1)?.body as { model: string; messages: unknown[] };
    expect(JSON.stringify(last.messages)).not.toContain('hello there');
    expect(JSON.stringify(last.messages)).toContain('after the clear');
    // The log keeps everything; the session record has the new model.
    expect(await inputs(s, id)).toEqual(['hello there', 'second question', 'after the clear']);
    expect((await s.json<{ sessions: { model: string }[] }>(['ls'])).sessions[0]?.model).toBe('claude-haiku-4-5');
    term.keys(['C-]']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });

  it('Ctrl-C cancels the running turn and stays; Ctrl-C twice detaches with exit 130', async () => {
    const s = await harness({ path: scenarioFile('cancel') });
    const project = s.project('stall');
    const term = terminal(s, project, 'run explain');
    const id = await firstSession(s);
    await s.waitEvent(id, (e) => e.kind === 'assistant_delta', 'the reply streaming');
    await term.waitFor((t) => t.includes('writing…'), 'the spinner');

    // With text typed, Ctrl-C drops the text only; the (stalled, endless) turn goes on.
    term.keys(['a draft']);
    await term.waitFor((t) => /› a draft\s*$/.test(t), 'the draft');
    term.keys(['C-c']);
    await term.waitFor((t) => /›\s*$/.test(t), 'the cleared prompt');
    expect((await s.session(id)).state).toBe('running');

    term.keys(['C-c']);
    await term.waitFor((t) => t.includes('cancelling the turn… (Ctrl-C again to detach)'), 'the cancel notice');
    await s.waitState(id, ['idle']);
    await term.waitFor((t) => t.includes('turn interrupted'), 'the interrupted turn');
    // Still attached and typing works: a new prompt runs a turn.
    term.keys(['are you there', 'Enter']);
    await term.waitFor((t) => t.includes('Still here.'), 'the next answer');

    term.keys(['C-c', 'C-c']);
    const screen = await term.waitFor((t) => t.includes('[exited 130]'), 'the CLI to exit 130');
    expect(screen).toContain('detached; the session keeps running');
    expect((await s.session(id)).state).toBe('idle');
  });

  it('sylk run … | tee: SIGINT cancels the turn, says so on stderr and exits 130', async () => {
    const s = await harness({ path: scenarioFile('cancel') });
    const project = s.project('piped');
    const term = startTmux(
      `cd '${project}' && bash -c 'trap "" PIPE; trap ":" INT; ${process.execPath} ${CLI} run explain | tee transcript.log; echo "[sylk exited \${PIPESTATUS[0]}]"'`,
      s.h.env,
    );
    terminals.push(term);
    const id = await firstSession(s);
    await s.waitEvent(id, (e) => e.kind === 'assistant_delta', 'the reply streaming');
    term.keys(['C-c']);
    const screen = await term.waitFor((t) => t.includes('[sylk exited'), 'the CLI to exit');
    expect(screen).toContain('[sylk exited 130]');
    expect(screen).toContain('sylk: interrupted: cancelled the running turn');
    const after = await s.waitState(id, ['idle']);
    expect(after.state).toBe('idle');
    expect((await s.events(id)).some((e) => e.kind === 'turn_interrupted')).toBe(true);
  });
});

/** The harness's only session, once it exists. */
async function firstSession(s: SessionHarness): Promise<string> {
  let id = '';
  await waitFor(async () => (id = (await s.sessions())[0]?.id ?? '') !== '', 30_000, 'the session');
  return id;
}
