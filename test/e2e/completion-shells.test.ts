// Shell completion in a real zsh (compsys, in tmux) and a real fish (`complete -C`), each with the
// script `sylk completion zsh|fish` prints: subcommands from the command tree, session names,
// approval ids, config keys and models from a real sylkd, with their descriptions.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tab, withSylkOnPath } from '../helpers/completion.js';
import { CLI } from '../helpers/sylk.js';
import { scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

/** A daemon with one session waiting for an approval. */
async function daemonWithSession() {
  const s = await sessionHarness({ path: scenarioFile('approve-run') });
  harnesses.push(s);
  const created = await startDetached(s, s.fixtureProject('failing-test'), 'run the tests');
  const approval = await s.waitApproval(created.id);
  return { s, created, approval, env: withSylkOnPath(s.h.home, s.h.env) };
}

/** An interactive zsh without rc files, compsys initialised and the script sourced, as ~/.zshrc would. */
async function zsh(s: SessionHarness, env: NodeJS.ProcessEnv) {
  const term = startTmux('zsh -f', env);
  terminals.push(term);
  term.keys(
    [
      `bindkey -e; autoload -Uz compinit && compinit -u -d '${join(s.h.home, 'zcompdump')}' && source <(sylk completion zsh) && echo completion-ready`,
    ],
    true,
  );
  term.keys(['Enter']);
  await term.waitFor((t) => t.includes('\ncompletion-ready'), 'the completion script to load');
  return term;
}

describe('shell completion (zsh and fish)', () => {
  it('zsh: subcommands, session names, approval ids, config keys and models from the running daemon', async () => {
    const { s, created, approval, env } = await daemonWithSession();
    const term = await zsh(s, env);

    expect((await tab(term, 'sylk att')).line).toBe('sylk attach #done');
    // The next Tab lists the commands with what each does.
    expect((await tab(term, 'sylk a', 2)).screen).toMatch(/attach +-- replay a session and follow it live/);
    expect((await tab(term, 'sylk config g')).line).toBe('sylk config get #done');
    expect((await tab(term, 'sylk attach ')).line).toBe(`sylk attach ${created.name} #done`);
    expect((await tab(term, 'sylk approve ')).line).toBe(`sylk approve ${approval.id} #done`);
    expect((await tab(term, 'sylk config get llm.def')).line).toBe('sylk config get llm.default_#done');
    // Several candidates: the next Tab lists them, with their descriptions.
    const listed = await tab(term, 'sylk run --provider anthropic --model claude-op', 2);
    expect(listed.screen).toMatch(/claude-opus-\S+ +-- anthropic/);
    const joined = await tab(term, 'sylk run --model=gpt-5.2-c');
    expect(joined.line).toBe('sylk run --model=gpt-5.2-codex #done');
  });

  it('fish: the same from `complete -C`, each candidate with its description', async () => {
    const { s, created, approval, env } = await daemonWithSession();
    const script = join(s.h.home, 'sylk.fish');
    writeFileSync(script, execFileSync(process.execPath, [CLI, 'completion', 'fish'], { env, encoding: 'utf8' }));
    const complete = (line: string): string[] =>
      execFileSync('fish', ['--no-config', '-c', `source '${script}'; complete -C '${line}'`], {
        env,
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l !== '');

    expect(complete('sylk att')).toEqual([expect.stringMatching(/^attach\treplay a session and follow it live/)]);
    expect(complete('sylk config g')).toEqual([expect.stringMatching(/^get\tprint the effective value/)]);
    expect(complete('sylk attach ')).toEqual([`${created.name}\twaiting_approval · ${basename(created.projectRoot)}`]);
    expect(complete('sylk approve ')).toEqual([`${approval.id}\t${approval.summary}`]);
    expect(complete('sylk config get llm.default_')).toEqual(['llm.default_model', 'llm.default_provider']);
    expect(complete('sylk run --provider anthropic --model claude-op')).toContainEqual(
      expect.stringMatching(/^claude-opus-\S+\tanthropic$/),
    );
    expect(complete('sylk run --model=gpt-5.2-c')).toEqual(['--model=gpt-5.2-codex\topenai']);
  });
});
