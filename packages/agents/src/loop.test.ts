import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, SecretValues } from '@sylk/core';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

const MATH = 'export function add(a, b) {\n  return a - b;\n}\n';
const MATH_TEST = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { add } from './math.js';",
  "test('add adds', () => { assert.equal(add(2, 3), 5); });",
  '',
].join('\n');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runTurn: fix the failing test', () => {
  it('reads, runs the tests, edits, re-runs and ends the turn with the file fixed and the tests green', async () => {
    h = await agentHarness({
      scenario: 'fix-failing-test.yaml',
      files: {
        'package.json': '{ "type": "module" }\n',
        'src/math.js': MATH,
        'src/math.test.js': MATH_TEST,
        'AGENTS.md': 'Run the tests with `node --test`.\n',
      },
    });
    const result = await h.run('The add test fails, please fix it.');

    expect(result.stopReason).toBe('end_turn');
    expect(h.requests()).toHaveLength(5);
    expect(readFileSync(join(h.project, 'src/math.js'), 'utf8')).toBe(
      'export function add(a, b) {\n  return a + b;\n}\n',
    );
    // The tests are really green now, outside the agent too.
    execFileSync(process.execPath, ['--test'], { cwd: h.project, stdio: 'pipe' });

    // The system prompt carries the project context.
    const first = h.requests()[0]?.body as { system: unknown; tools: Array<{ name: string }> };
    const system = JSON.stringify(first.system);
    expect(system).toContain(h.project);
    expect(system).toContain('2025-01-15');
    expect(system).toContain('Run the tests with `node --test`.');
    expect(first.tools.map((t) => t.name)).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'search',
      'run_command',
      'process_output',
      'stop_process',
    ]);

    // What the model read back at each step.
    expect(h.toolResultsSent(1)[0]?.content).toContain('     2\t  return a - b;');
    const failing = h.toolResultsSent(2)[0]?.content ?? '';
    expect(failing).toContain('[node --test]');
    expect(failing).toContain('add adds');
    expect(failing).toContain('exit code 1]');
    expect(h.toolResultsSent(3)[0]?.content).toContain('+  return a + b;');
    expect(h.toolResultsSent(4)[0]?.content).toContain('exit code 0]');

    // Permission was asked for the command (with its cwd) and for the edit (with a diff preview).
    const asks = h.permissionRequests.map((p) => [p.tool, p.action, p.target]);
    expect(asks).toEqual([
      ['run_command', 'command', 'node --test'],
      ['edit_file', 'write', expect.stringMatching(/src\/math\.js$/)],
      ['run_command', 'command', 'node --test'],
    ]);
    expect(h.permissionRequests[1]?.preview).toContain('-  return a - b;\n+  return a + b;');

    // Events: live command output, finished summaries with the raw output handle, usage per round.
    // (`node --test` reports in TAP to a pipe up to Node 22, in its spec format from Node 23 on.)
    const failedLine = /not ok 1 - add adds|✖ add adds/;
    expect(eventsOf(h.events, 'tool_output').some((e) => e.callId === 'call_test1' && failedLine.test(e.line))).toBe(
      true,
    );
    const finished = eventsOf(h.events, 'tool_finished');
    expect(finished.map((e) => [e.callId, e.ok, e.isError])).toEqual([
      ['call_read', true, false],
      ['call_test1', false, false],
      ['call_edit', true, false],
      ['call_test2', true, false],
    ]);
    expect(finished.map((e) => e.exit?.code)).toEqual([undefined, 1, undefined, 0]);
    expect(finished[1]?.outputHandle).toBeTruthy();
    expect(readFileSync(finished[1]?.outputHandle ?? '', 'utf8')).toMatch(failedLine);
    expect(eventsOf(h.events, 'usage')).toHaveLength(5);
    expect(result.usage.inputTokens).toBe(900 * 4 + 1500);
    expect(
      eventsOf(h.events, 'assistant_delta')
        .map((e) => e.text)
        .join(''),
    ).toContain('Fixed `add` in src/math.js');

    // History: user, then assistant/tool pairs, then the final answer.
    expect(result.messagesAdded).toBe(1 + 4 * 2 + 1);
    expect(h.ctx.history.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(h.ctx.history.at(-1)?.content).toBe('Fixed `add` in src/math.js; the tests pass now.');
  });
});

describe('runTurn: limits', () => {
  it('stops after maxTurns round-trips with every tool call answered', async () => {
    h = await agentHarness({ scenario: 'endless-tools.yaml', maxTurns: 3, files: { 'a.txt': 'a\n' } });
    const result = await h.run('go');
    expect(result.stopReason).toBe('max_turns');
    expect(h.requests()).toHaveLength(3);
    expect(h.ctx.history.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
      'tool',
    ]);
    expect(eventsOf(h.events, 'notice').map((e) => e.message)).toEqual([
      expect.stringContaining('Stopped after 3 model round-trips'),
    ]);
  });

  it('stops with budget when the gate refuses the next request', async () => {
    h = await agentHarness({ scenario: 'endless-tools.yaml', budgets: { session: { tokens: 5000 } } });
    const result = await h.run('go');
    expect(result.stopReason).toBe('budget');
    expect(result.error?.code).toBe('llm.budget_exceeded');
    expect(h.requests()).toHaveLength(1);
    expect(eventsOf(h.events, 'error')).toEqual([
      {
        type: 'error',
        code: 'llm.budget_exceeded',
        message: expect.stringContaining('budget'),
        tier: 'user_fixable',
        hint: expect.any(String),
      },
    ]);
    expect(h.ctx.history.at(-1)?.role).toBe('tool');
  });

  it('ends the turn with a user-fixable error, running no tool, when a tool call outgrows its size limit', async () => {
    h = await agentHarness({ scenario: 'endless-tools.yaml', streamLimits: { maxToolArgsBytes: 1 } });
    const result = await h.run('go');
    expect(result.stopReason).toBe('error');
    expect(result.error).toMatchObject({
      code: 'agents.response_incomplete',
      tier: 'user_fixable',
      hint: expect.stringContaining('max_tool_args_bytes'),
    });
    expect(h.requests()).toHaveLength(1);
    expect(eventsOf(h.events, 'tool_started')).toEqual([]);
    expect(eventsOf(h.events, 'error')).toEqual([
      {
        type: 'error',
        code: 'agents.response_incomplete',
        message: expect.stringContaining('size limit'),
        tier: 'user_fixable',
        hint: expect.stringContaining('max_tool_args_bytes'),
      },
    ]);
  });

  it("shows the retry it waits for, then ends with the failure's own code, hint and one message", async () => {
    h = await agentHarness({ scenario: 'retry-then-rejected-key.yaml' });
    const result = await h.run('go');
    expect(result.stopReason).toBe('error');
    expect(h.requests()).toHaveLength(2);
    // The delay is the pause until Retry-After as of the retry's scheduling (a millisecond may have passed).
    expect(eventsOf(h.events, 'notice')).toEqual([
      {
        type: 'notice',
        code: 'llm.retrying',
        message: 'anthropic rate limited the request; retrying in 1 s (retry 1 of 10)',
        delayMs: expect.closeTo(1000, -2),
      },
    ]);
    const [error] = eventsOf(h.events, 'error');
    expect(error).toMatchObject({
      code: 'llm.auth_failed',
      tier: 'user_fixable',
      hint: 'Check or replace the key: sylk auth login anthropic',
      attempts: 2,
    });
    expect(error?.message).toMatch(
      /^anthropic rejected the API key from [^:]+ \(HTTP 401 authentication_error\): invalid x-api-key$/,
    );
  });
});

describe('runTurn: known-secret redaction', () => {
  it('runs the calls as sent but keeps the secret out of history, events and what the model is sent back', async () => {
    const key = 'LEAKVALUE-0123456789abcdef';
    const secrets = new SecretValues();
    secrets.add(key);
    // As the daemon wires it: the turn redacts replies and results, the executor its output lines.
    h = await agentHarness({ scenario: 'secret-echo.yaml', executor: { output: { redact: secrets } } });
    h.ctx.redact = secrets;
    const result = await h.run('go');
    expect(result.stopReason).toBe('end_turn');
    // The command really ran with the value (its output said it), and the result was redacted.
    expect(h.toolResultsSent(1).map((r) => r.content)).toEqual([
      `${REDACTED}\n[exit code 0]`,
      `File not found: ${REDACTED}.txt`,
    ]);
    const deltas = eventsOf(h.events, 'assistant_delta').map((e) => e.text);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(`The key is ${REDACTED}, printing it.Done.`);
    for (const text of [
      JSON.stringify(h.events),
      JSON.stringify(h.ctx.history),
      JSON.stringify(h.requests().map((r) => r.body)),
    ]) {
      expect(text).not.toContain('LEAKVALUE');
    }
  });
});
