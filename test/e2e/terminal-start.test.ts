// Starting and continuing in a real terminal (tmux) against a real sylkd: bare `sylk` opens the
// prompt in the project, `sylk -c` continues its latest session, `sylk resume` picks one.
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/sylk.js';
import { answeringScenario, sessionHarness } from '../helpers/sessions.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

const SCENARIO = answeringScenario(
  'start',
  [
    ['first', 'first task', 'Done with the first.'],
    ['again', 'and again', 'Done again.'],
    ['third', 'third time', 'Third done.'],
  ],
  'Noted.',
);

describe('starting and continuing (tmux)', () => {
  it('bare sylk opens the prompt here; sylk -c continues; sylk resume offers a picker', async () => {
    const s = await sessionHarness({ scenario: SCENARIO });
    harnesses.push(s);
    const project = s.project('app');
    const other = s.project('other');
    const sylk = (args: string, cwd = project) => {
      const t = startTmux(`cd '${cwd}' && ${process.execPath} ${CLI} ${args}`, s.h.env);
      terminals.push(t);
      return t;
    };
    // A session in another project must not be continued or offered.
    expect((await s.cli(['new', '-C', other, '--name', 'elsewhere'])).code).toBe(0);

    const bare = sylk('');
    await bare.waitFor((t) => t.includes('attached to') && t.includes(`in ${project}`), 'the prompt');
    bare.keys(['first task', 'Enter']);
    await bare.waitFor((t) => t.includes('Done with the first.'), 'the answer');
    bare.keys(['C-d']);
    await bare.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
    const mine = (await s.sessions()).find((x) => x.projectRoot === project);
    if (mine === undefined) throw new Error('no session in the project');

    const cont = sylk('-c');
    await cont.waitFor((t) => t.includes(`attached to ${mine.name}`) && t.includes('Done with the first.'), 'replay');
    cont.keys(['and again', 'Enter']);
    await cont.waitFor((t) => t.includes('Done again.'), 'the answer in the same session');
    cont.keys(['C-d']);
    await cont.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');

    await s.waitState(mine.id, ['idle']);
    const picker = sylk('resume');
    let screen = await picker.waitFor((t) => t.includes('Resume which session?'), 'the picker');
    expect(screen).toMatch(new RegExp(`\\[1\\] ${mine.name}  idle  .* ago  Done again\\.`));
    expect(screen).not.toContain('elsewhere');
    picker.keys(['1']);
    await picker.waitFor((t) => t.includes(`attached to ${mine.name}`), 'attached to the pick');
    picker.keys(['third time', 'Enter']);
    await picker.waitFor((t) => t.includes('Third done.'), 'the answer');
    picker.keys(['C-d']);
    screen = await picker.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');

    const inputs = (await s.events(mine.id)).filter((e) => e.kind === 'user_input').map((e) => e.data.text);
    expect(inputs).toEqual(['first task', 'and again', 'third time']);
    expect((await s.sessions()).filter((x) => x.projectRoot === project)).toHaveLength(1);
  });

  it('without a terminal, bare sylk prints help and sylk run without a task is a usage error', async () => {
    const s = await sessionHarness({ scenario: SCENARIO });
    harnesses.push(s);
    const bare = await s.cli([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout + bare.stderr).toContain('Usage: sylk');
    const run = await s.cli(['run'], { cwd: s.project('x') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no task given');
    expect(await s.sessions()).toEqual([]);
  });
});
