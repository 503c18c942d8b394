// A session's project context through a real sylkd and the real CLI: the project's config layers
// (and their reload), the creating client's environment for commands, the AGENTS.md hierarchy
// shown in `sylk status <session>`, and @path mentions reaching the model.
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '@sylk/emulator';
import { parseJson, runCli, waitFor } from '../helpers/sylk.js';
import {
  KEY,
  sessionHarness,
  startDetached,
  type EventJson,
  type SessionHarness,
  type SessionJson,
} from '../helpers/sessions.js';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const noticeWith = (text: string) => (e: EventJson) => e.kind === 'notice' && String(e.data.message).includes(text);

interface StatusJson {
  instructions: Array<{ path: string; scope: string; sizeBytes: number; included: boolean }>;
  env: { source: string; names: string[]; path: string };
  config: { files: Array<{ layer: string; path: string; present: boolean }>; warnings: string[] };
}

describe('project config layers', () => {
  it("a project's .sylk/config.yaml sets that session's max_turns, and an edit applies without a restart", async () => {
    const scenario: Scenario = {
      name: 'loop',
      apiKey: KEY,
      steps: [{ name: 'look', reply: { text: 'Looking.', toolCalls: [{ name: 'list_files', arguments: {} }] } }],
    };
    const s = (harness = await sessionHarness({ scenario }, { foreground: true }));
    const project = s.project('limited', { '.sylk/config.yaml': 'sessions:\n  max_turns: 2\n', 'a.txt': 'a\n' });
    const other = s.project('unlimited-but-broken', { '.sylk/config.yaml': 'sessions: {max_turns: [\n' });

    const created = await startDetached(s, project, 'look around');
    await s.waitEvent(
      created.id,
      noticeWith('Stopped after 2 model round-trips'),
      'the turn limit of the project config',
    );
    expect(s.emu.requests()).toHaveLength(2);

    // A broken project file: the session says so and runs on the defaults (the file never was good).
    const broken = await s.json<SessionJson>(['new', '-C', other]);
    const status = await s.json<StatusJson>(['status', broken.id]);
    expect(status.config.warnings.join('\n')).toContain(join(other, '.sylk', 'config.yaml'));
    expect(status.config.files.find((f) => f.layer === 'project')).toMatchObject({
      path: join(other, '.sylk', 'config.yaml'),
      present: true,
    });

    writeFileSync(join(project, '.sylk', 'config.yaml'), 'sessions:\n  max_turns: 3\n');
    await s.waitEvent(created.id, noticeWith('Configuration changed (sessions.max_turns)'), 'the reload notice');
    expect((await s.cli(['send', created.id, 'look again'])).code).toBe(0);
    await s.waitEvent(created.id, noticeWith('Stopped after 3 model round-trips'), 'the new turn limit');
    expect(s.emu.requests()).toHaveLength(5);

    // A file that breaks later keeps its last good values, and the session is told.
    writeFileSync(join(project, '.sylk', 'config.yaml'), 'sessions:\n  max_turns: [\n');
    await s.waitEvent(created.id, noticeWith('Project configuration problem'), 'the notice about the broken file');
    expect((await s.cli(['send', created.id, 'and again'])).code).toBe(0);
    await waitFor(
      async () => (await s.events(created.id)).filter(noticeWith('Stopped after 3')).length === 2,
      30_000,
      'a second turn limited to 3',
    );
    expect(s.emu.requests()).toHaveLength(8);
  });
});

describe("the client's environment", () => {
  it("runs commands with the creating client's PATH and virtualenv, never its secrets, and shows the names", async () => {
    const scenario: Scenario = {
      name: 'env',
      apiKey: KEY,
      steps: [
        {
          name: 'run',
          match: { lastUser: '/show the environment/' },
          reply: {
            text: 'Running.',
            toolCalls: [
              {
                name: 'run_command',
                arguments: {
                  command:
                    'fake-tool && echo "VENV=$VIRTUAL_ENV TOKEN=${MY_SECRET_TOKEN:-unset} KEY=${ANTHROPIC_API_KEY:-unset}"',
                },
              },
            ],
          },
        },
        { name: 'done', match: { lastTool: '/exit code/' }, reply: { text: 'Done.' } },
      ],
    };
    const s = (harness = await sessionHarness({ scenario }, { foreground: true }));
    // Like ~/.nvm/versions/node/vX/bin: a toolchain under the home directory, only on the client's PATH.
    const toolDir = join(s.h.env.HOME as string, '.fakeenv', 'bin');
    mkdirSync(toolDir, { recursive: true });
    writeFileSync(join(toolDir, 'fake-tool'), '#!/bin/sh\necho "fake tool from the client PATH"\n');
    chmodSync(join(toolDir, 'fake-tool'), 0o755);
    const project = s.project('env');
    // The user's own blocklist entry: neither the CLI nor sylkd lets CORP_* through.
    appendFileSync(
      join(s.h.home, 'config', 'config.yaml'),
      'tools:\n  env_blocklist: ["*_TOKEN", "*_API_KEY", "CORP_*"]\n',
    );
    await waitFor(
      async () => (await s.cli(['config', 'get', 'tools.env_blocklist', '--json'])).stdout.includes('CORP_*'),
      15_000,
      'sylkd to reload the user config',
    );
    const clientEnv = {
      ...s.h.env,
      PATH: `${toolDir}:${s.h.env.PATH ?? ''}`,
      VIRTUAL_ENV: '/work/fake-venv',
      MY_SECRET_TOKEN: 'supersecret-client-value',
      CORP_VAULT_ADDR: 'corp-value-123',
    };

    const run = await runCli(['run', '-d', '-C', project, 'show the environment', '--json'], { env: clientEnv });
    expect(run.code, run.stderr).toBe(0);
    const created = parseJson<SessionJson>(run.stdout);
    const approval = await s.waitApproval(created.id);
    expect((await s.cli(['approve', approval.id])).code).toBe(0);
    await s.waitEvent(created.id, (e) => e.kind === 'tool_finished', 'the command to finish', 60_000);
    await s.waitEvent(created.id, (e) => e.kind === 'assistant_message' && e.data.text === 'Done.', 'the last reply');

    const result = JSON.stringify((s.emu.requests().at(-1)?.body as { messages: unknown[] }).messages.at(-1));
    expect(result).toContain('fake tool from the client PATH');
    expect(result).toContain('VENV=/work/fake-venv TOKEN=unset KEY=unset');

    const stored = readFileSync(join(s.h.home, 'data', 'sessions', created.id, 'client-env.json'), 'utf8');
    expect(stored).toContain('/work/fake-venv');
    expect(stored).not.toContain('supersecret-client-value');
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('corp-value-123');

    // An attach or status from another shell does not change it.
    const status = await s.cli(['status', created.id, '--json']);
    expect(status.stdout).not.toContain('supersecret');
    const ctx = parseJson<StatusJson>(status.stdout);
    expect(ctx.env.source).toBe('client');
    expect(ctx.env.path.startsWith(`${toolDir}:`)).toBe(true);
    expect(ctx.env.names).toContain('VIRTUAL_ENV');
    expect(ctx.env.names).not.toContain('MY_SECRET_TOKEN');
    expect(ctx.env.names).not.toContain('ANTHROPIC_API_KEY');
    const human = await s.cli(['status', created.id]);
    expect(human.stdout).toContain(`PATH=${toolDir}:`);
    expect(human.stdout).not.toContain('/work/fake-venv');
  });
});

describe('instructions and mentions', () => {
  it('shows the AGENTS.md hierarchy with sizes in `sylk status <session>` and sends @file content to the model', async () => {
    const s = (harness = await sessionHarness(
      { scenario: { name: 'plain', apiKey: KEY, steps: [{ name: 'answer', reply: { text: 'Noted.' } }] } },
      { foreground: true },
    ));
    writeFileSync(join(s.h.home, 'config', 'AGENTS.md'), 'User-wide: answer briefly.\n');
    const project = s.project('docs', {
      'AGENTS.md': 'Project rule: run npm test.\n',
      'pkg/api/AGENTS.md': 'API rule: keep handlers small.\n',
      'notes/todo.md': 'TODO: the mention content 4711\n',
    });

    const created = await startDetached(s, project, 'summarize @notes/todo.md please');
    await s.waitEvent(created.id, (e) => e.kind === 'assistant_message', 'the reply');

    const body = s.emu.requests()[0]?.body as { system: unknown; messages: Array<{ content: unknown }> };
    const system = JSON.stringify(body.system);
    expect(system).toContain('User-wide: answer briefly.');
    expect(system).toContain('Project rule: run npm test.');
    expect(system).toContain('pkg/api/AGENTS.md');
    expect(system).not.toContain('API rule');
    expect(system.indexOf('User-wide')).toBeLessThan(system.indexOf('Project rule'));
    const sent = JSON.stringify(body.messages[0]?.content);
    expect(sent).toContain('summarize @notes/todo.md please');
    expect(sent).toContain('TODO: the mention content 4711');

    const input = (await s.events(created.id)).find((e) => e.kind === 'user_input');
    expect(input?.data.text).toBe('summarize @notes/todo.md please');
    expect(input?.data.mentions).toEqual([
      { path: 'notes/todo.md', attached: true, sizeBytes: 31, attachedBytes: 31, truncated: false },
    ]);

    const ctx = await s.json<StatusJson>(['status', created.id]);
    const mine = ctx.instructions.filter((f) => f.path.startsWith(s.h.home));
    expect(mine.map((f) => [f.path, f.scope, f.sizeBytes, f.included])).toEqual([
      [join(s.h.home, 'config', 'AGENTS.md'), 'user', 27, true],
      [join(project, 'AGENTS.md'), 'project', 28, true],
      [join(project, 'pkg', 'api', 'AGENTS.md'), 'nested', 31, false],
    ]);
    const human = (await s.cli(['status', created.id])).stdout;
    expect(human).toContain(`${join(project, 'AGENTS.md')}  28 B`);
    expect(human).toContain(`${join(project, 'pkg', 'api', 'AGENTS.md')}  31 B`);
  });
});
