// File changes as unified diffs, and sessions in / or $HOME, end to end: a real sylkd and sylk,
// the model scripted by the emulator over real HTTP, real files.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import { connect, createClient, SessionService, unixTarget, versionStamp } from '@sylk/proto';
import type { Scenario } from '@sylk/emulator';
import { KEY, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
async function harness(scenario: Scenario): Promise<SessionHarness> {
  const s = await sessionHarness({ scenario });
  harnesses.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

/**
 * 40 lines; the setting on lines 5 and 35 is what the model changes (two hunks 30 lines apart).
 * It lives under .sylk/, where every write asks (writes elsewhere in the project do not).
 */
const CONFIG =
  Array.from({ length: 40 }, (_, i) => (i + 1 === 5 || i + 1 === 35 ? 'timeout = 10' : `key${i + 1} = ${i + 1}`)).join(
    '\n',
  ) + '\n';

const EDITS: Scenario = {
  name: 'e2e-diffs',
  apiKey: KEY,
  steps: [
    {
      name: 'edit',
      match: { turn: 0 },
      reply: {
        text: 'Raising both timeouts.',
        toolCalls: [
          {
            id: 'call_edit',
            name: 'edit_file',
            arguments: {
              path: '.sylk/cfg.txt',
              old_string: 'timeout = 10',
              new_string: 'timeout = 30',
              replace_all: true,
            },
          },
        ],
      },
    },
    {
      name: 'write',
      match: { lastTool: 'Edited .sylk/cfg.txt' },
      times: 1,
      reply: {
        toolCalls: [
          {
            id: 'call_write',
            name: 'write_file',
            arguments: { path: 'src/notes.md', content: '# Notes\ntimeouts are 30 s\n' },
          },
        ],
      },
    },
    { name: 'done', match: { lastTool: 'Created src/notes.md' }, reply: { text: 'Both timeouts are 30 now.' } },
    { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
  ],
};

const HUNK_1 = [
  '@@ -2,7 +2,7 @@',
  ' key2 = 2',
  ' key3 = 3',
  ' key4 = 4',
  '-timeout = 10',
  '+timeout = 30',
  ' key6 = 6',
  ' key7 = 7',
  ' key8 = 8',
];
const HUNK_2 = [
  '@@ -32,7 +32,7 @@',
  ' key32 = 32',
  ' key33 = 33',
  ' key34 = 34',
  '-timeout = 10',
  '+timeout = 30',
  ' key36 = 36',
  ' key37 = 37',
  ' key38 = 38',
];
const EDIT_DIFF = ['--- a/.sylk/cfg.txt', '+++ b/.sylk/cfg.txt', ...HUNK_1, ...HUNK_2].join('\n');

describe('file changes as unified diffs', () => {
  it('approvals show every hunk; the transcript shows them collapsed; `sylk logs --json` has the diff', async () => {
    const s = await harness(EDITS);
    const project = s.project('diffs', { '.sylk/cfg.txt': CONFIG });
    const created = await startDetached(s, project, 'Raise the timeouts to 30.');

    // The approval carries the real unified diff: both changes, each with its context.
    const edit = await s.waitApproval(created.id);
    expect(edit).toMatchObject({ kind: 'path', detail: EDIT_DIFF });
    const listed = await s.cli(['approvals', created.id]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain([...HUNK_1, ...HUNK_2].map((l) => `    ${l}`).join('\n'));
    expect((await s.cli(['approve', edit.id])).code).toBe(0);

    // A new file inside the project is written without asking; its diff is in the event.
    await s.waitState(created.id, ['idle', 'failed']);
    expect(await s.approvals(created.id)).toEqual([]);
    const NEW_FILE = '--- /dev/null\n+++ b/src/notes.md\n@@ -0,0 +1,2 @@\n+# Notes\n+timeouts are 30 s';
    expect(readFileSync(join(project, '.sylk', 'cfg.txt'), 'utf8')).toBe(
      CONFIG.replaceAll('timeout = 10', 'timeout = 30'),
    );

    // The events: each file change's tool_finished carries its diff and counts.
    const finished = (await s.events(created.id)).filter((e) => e.kind === 'tool_finished');
    expect(finished.map((e) => [e.data.name, e.data.diff, e.data.diffStat])).toEqual([
      ['edit_file', EDIT_DIFF, { path: '.sylk/cfg.txt', added: 2, removed: 2, hunks: 2 }],
      ['write_file', NEW_FILE, { path: 'src/notes.md', added: 2, removed: 0, hunks: 1 }],
    ]);
    // The model read the edit's diff (it helps to check an edit), not the new file's content again.
    const sent = JSON.stringify(s.emu.requests().map((q) => q.body));
    expect(sent).toContain('+timeout = 30');
    expect(sent).not.toContain('+# Notes');

    // The rendered transcript: the approval in full, the change collapsed to counts and its first lines.
    const plain = await s.cli(['logs', created.id]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(
      EDIT_DIFF.split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    expect(plain.stdout).toContain(
      [
        '  +2 \u22122 .sylk/cfg.txt',
        ...HUNK_1.slice(0, 8).map((l) => `    ${l}`),
        '    … 10 more diff lines (sylk logs --json has the whole diff)',
      ].join('\n'),
    );
    expect(plain.stdout).toContain(
      '  +2 \u22120 src/notes.md\n    @@ -0,0 +1,2 @@\n    +# Notes\n    +timeouts are 30 s\n',
    );
  }, 60_000);
});

describe('a session in / or the home directory', () => {
  const NO_MODEL: Scenario = {
    name: 'e2e-no-model',
    apiKey: KEY,
    steps: [{ reply: { text: 'UNEXPECTED: the model was asked' } }],
  };

  it('`sylk run` refuses it with --yes and without a terminal, and starts it with --allow-home', async () => {
    const s = await harness(NO_MODEL);
    const home = s.h.env.HOME as string;
    mkdirSync(home, { recursive: true });
    for (const args of [
      ['run', '--yes', '-C', home, 'tidy up'],
      ['run', 'tidy up'],
      ['new', '-C', '/'],
    ]) {
      const r = await s.cli(args, { cwd: home });
      expect(r.code, `sylk ${args.join(' ')}`).toBe(2);
      expect(r.stderr).toMatch(
        /refusing to start a session: .* is (your home directory|the filesystem root): a session there lets the agent see every file you own/,
      );
      expect(r.stderr).toContain('--allow-home');
    }
    expect(await s.sessions()).toEqual([]);

    const confirmed = await s.json<{ projectRoot: string }>(['new', '--allow-home'], { cwd: home });
    expect(confirmed.projectRoot).toBe(home);
    expect(s.emu.requests()).toEqual([]);
  }, 60_000);

  it('the daemon refuses CreateSession there unless the request says the user confirmed', async () => {
    const s = await harness(NO_MODEL);
    const home = s.h.env.HOME as string;
    mkdirSync(home, { recursive: true });
    expect((await s.cli(['status'])).code).toBe(0);
    const channel = connect(unixTarget(s.h.socket), { interceptors: [versionStamp('test', () => undefined)] });
    try {
      const sessions = createClient(SessionService, channel);
      for (const projectRoot of [home, `${home}/`, '/']) {
        const refused = await sessions.createSession({ projectRoot, prompt: 'hi' }).catch((err: unknown) => err);
        expect(isSylkError(refused) && [refused.code, refused.tier]).toEqual([
          'session.home_root_refused',
          'user_fixable',
        ]);
        expect((refused as Error).message).toContain('the agent would see every file you own');
      }
      const ok = await sessions.createSession({ projectRoot: home, allowHomeRoot: true });
      expect(ok.session?.projectRoot).toBe(home);
    } finally {
      channel.close();
    }
    expect((await s.sessions()).map((x) => x.projectRoot)).toEqual([home]);
  }, 60_000);
});
