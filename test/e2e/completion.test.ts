// Shell completion in a real bash (tmux) with `source <(sylk completion bash)`: values come from a
// real sylkd (session names, pending approval ids, config keys); with no daemon running, Tab
// completes what the command tree knows, prints nothing else and starts no daemon.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonPidsOf, useHomes } from '../helpers/sylk.js';
import { tab, withSylkOnPath } from '../helpers/completion.js';
import { scenarioFile, sessionHarness, startDetached } from '../helpers/sessions.js';
import { startTmux, type Tmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();
const home = useHomes();

/** An interactive bash without the user's rc files, `sylk` on its PATH and the completion sourced. */
async function bashWithCompletion(home: string, env: NodeJS.ProcessEnv): Promise<Tmux> {
  const term = startTmux('bash --norc --noprofile', withSylkOnPath(home, env));
  terminals.push(term);
  term.keys(['source <(sylk completion bash) && echo completion-ready'], true);
  term.keys(['Enter']);
  await term.waitFor((t) => t.includes('\ncompletion-ready'), 'the completion script to load');
  return term;
}

describe('shell completion (bash in tmux)', () => {
  it('completes session names, approval ids and config keys from the running daemon', async () => {
    const s = await sessionHarness({ path: scenarioFile('approve-run') });
    harnesses.push(s);
    const created = await startDetached(s, s.fixtureProject('failing-test'), 'run the tests');
    const approval = await s.waitApproval(created.id);
    const term = await bashWithCompletion(s.h.home, s.h.env);

    const attach = await tab(term, 'sylk attach ');
    expect(attach.line).toBe(`sylk attach ${created.name} #done`);

    const approve = await tab(term, 'sylk approve ');
    expect(approve.line).toBe(`sylk approve ${approval.id} #done`);

    const key = await tab(term, 'sylk config get llm.def');
    expect(key.line).toBe('sylk config get llm.default_#done');
    // Where the line cannot grow, a second Tab lists the candidates under it.
    const listed = await tab(term, 'sylk config get llm.default_', 2);
    expect(listed.screen).toMatch(/llm\.default_model\s+llm\.default_provider/);

    // Models of the catalogue, also inside `--model=` (a word bash splits at the `=`).
    const model = await tab(term, 'sylk run --provider anthropic --model claude-op');
    expect(model.line).toBe('sylk run --provider anthropic --model claude-opus-#done');
    const joined = await tab(term, 'sylk run --model=gpt-5.2-c');
    expect(joined.line).toBe('sylk run --model=gpt-5.2-codex #done');

    // The answers came from the daemon once and are cached, privately, in the runtime directory.
    const cache = join(s.h.home, 'run', 'completion-cache.json');
    expect(statSync(cache).mode & 0o777).toBe(0o600);
  });

  it('without a daemon: the command tree only, nothing printed, no daemon started', async () => {
    const h = home();
    const term = await bashWithCompletion(h.home, h.env);

    const command = await tab(term, 'sylk att');
    expect(command.line).toBe('sylk attach #done');
    const session = await tab(term, 'sylk attach ');
    expect(session.line).toBe('sylk attach #done');
    const option = await tab(term, 'sylk ps logs --he');
    expect(option.line).toBe('sylk ps logs --help #done');

    expect(existsSync(h.socket)).toBe(false);
    expect(daemonPidsOf(h.home)).toEqual([]);
  });
});
