// The collapsed output of a failing command, expanded with Ctrl-O in a real terminal (tmux)
// against a real sylkd and the provider emulator: the collapsed line names the key, the key
// prints every line below the transcript, and /help lists it.
import { describe, expect, it } from 'vitest';
import type { Scenario } from '@sylk/emulator';
import { CLI } from '../helpers/sylk.js';
import { KEY, sessionHarness } from '../helpers/sessions.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

// 40 numbered lines, then exit 1: collapsed to its last 6 lines when it ends.
const NOISY =
  "node -e \"for (let i = 1; i <= 40; i++) console.log('out-' + String(i).padStart(2, '0')); process.exit(1)\"";
const SCENARIO: Scenario = {
  name: 'e2e-expand',
  apiKey: KEY,
  steps: [
    {
      name: 'run',
      match: { turn: 0 },
      reply: { toolCalls: [{ id: 'call_noisy', name: 'run_command', arguments: { command: NOISY } }] },
    },
    { name: 'done', match: { lastTool: '/exit code 1\\]/' }, reply: { text: 'The command failed.' } },
    { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
  ],
};

describe('expanding collapsed command output (tmux)', () => {
  it('Ctrl-O prints the last collapsed output in full below the transcript', async () => {
    const s = await sessionHarness({ scenario: SCENARIO });
    harnesses.push(s);
    const project = s.project('expand');
    const term = startTmux(`cd '${project}' && ${process.execPath} ${CLI} run -y 'run the noisy command'`, s.h.env);
    terminals.push(term);

    let screen = await term.waitFor((t) => t.includes('The command failed.'), 'the answer after the failed command');
    expect(screen).toContain('… 34 earlier lines (40 lines of output in `sylk logs`; Ctrl-O shows all)');
    expect(screen).toContain('out-40');
    expect(screen).not.toContain('out-01');

    term.keys(['C-o']);
    screen = await term.waitFor((t) => t.includes('out-01'), 'the expanded output');
    const expanded = screen.slice(screen.indexOf('full output of the last collapsed command:'));
    for (let i = 1; i <= 40; i++) expect(expanded).toContain(`│ out-${String(i).padStart(2, '0')}`);
    // Typed text is kept across the key.
    term.keys(['still here'], true);
    term.keys(['C-o']);
    await term.waitFor((t) => t.split('full output of the last collapsed command:').length === 3, 'a second expansion');
    expect(term.capture()).toContain('› still here');

    term.keys(['C-u', '/help', 'Enter']);
    await term.waitFor((t) => t.includes('Ctrl-O shows the last collapsed command output in full'), 'the key in /help');
    term.keys(['C-d']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });
});
