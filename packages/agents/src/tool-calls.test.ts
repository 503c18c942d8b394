import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runTurn: tool calls', () => {
  it('runs several calls of one model turn and answers each in order; a write is a barrier for later reads', async () => {
    h = await agentHarness({
      scenario: 'several-calls.yaml',
      files: {
        'notes.txt': 'needle1 here\n',
        'docs/more.txt': 'needle2\n',
        'node_modules/x/y.txt': 'needle3\n',
        'src/code.js': 'const n = "needle4";\n',
      },
    });
    const result = await h.run('look around');
    expect(result.stopReason).toBe('end_turn');
    const sent = h.toolResultsSent(1);
    expect(sent.map((r) => r.tool_use_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(sent[0]?.content).toBe('     1\tneedle1 here');
    expect(sent[1]?.content).toBe('docs/more.txt\nnotes.txt');
    expect(sent[2]?.content).toBe(
      'docs/more.txt:1: needle2\nnotes.txt:1: needle1 here\nsrc/code.js:1: const n = "needle4";',
    );
    expect(sent[3]?.content).toMatch(/^Overwrote notes\.txt/);
    expect(sent[4]?.content).toBe('     1\trewritten');
    expect(readFileSync(join(h.project, 'notes.txt'), 'utf8')).toBe('rewritten\n');
    // The three reads started before any of them finished (they run together); the write waited for them.
    const order = h.events
      .filter((e) => e.type === 'tool_started' || e.type === 'tool_finished')
      .map((e) => `${e.type === 'tool_started' ? '+' : '-'}${e.callId}`);
    expect(order.slice(0, 3).sort()).toEqual(['+c1', '+c2', '+c3']);
    expect(order.slice(6)).toEqual(['+c4', '-c4', '+c5', '-c5']);
  });

  it('sends invalid arguments back to the model as tool errors and keeps going', async () => {
    h = await agentHarness({ scenario: 'malformed-arguments.yaml', files: { 'src/a.js': 'export const a = 1;\n' } });
    const result = await h.run('read a');
    expect(result.stopReason).toBe('end_turn');
    expect(h.requests()).toHaveLength(2);
    const [bad1, bad2, bad3, good] = h.toolResultsSent(1);
    expect(bad1?.is_error).toBe(true);
    expect(bad1?.content).toContain(
      'Invalid arguments for read_file: "path" must be string; "start_line" must be integer',
    );
    expect(bad2?.is_error).toBe(true);
    expect(bad2?.content).toContain('missing required property "old_string"; missing required property "new_string"');
    expect(bad3?.content).toBe(
      'Unknown tool "delete_everything". Available tools: read_file, write_file, edit_file, list_files, search, run_command, process_output, stop_process.',
    );
    expect(good?.is_error).toBeUndefined();
    expect(good?.content).toBe('     1\texport const a = 1;');
    expect(h.permissionRequests).toEqual([]);
    expect(eventsOf(h.events, 'tool_finished').map((e) => e.isError)).toEqual([true, true, true, false]);
    expect(h.ctx.history.at(-1)?.content).toBe('I will fix my arguments.');
  });

  it('refuses ambiguous and missing edit matches with line numbers and the closest lines', async () => {
    const config = 'let retries = 1;\nconst timeoutMs = 250;\nlet retries = 1;\n';
    h = await agentHarness({ scenario: 'edit-errors.yaml', files: { 'config.js': config } });
    const result = await h.run('raise the retries');
    expect(result.stopReason).toBe('end_turn');
    const ambiguous = h.toolResultsSent(1)[0];
    expect(ambiguous?.is_error).toBe(true);
    expect(ambiguous?.content).toContain('old_string matches 2 times in config.js (lines 1, 3)');
    expect(ambiguous?.content).toContain('replace_all');
    const missing = h.toolResultsSent(2)[0];
    expect(missing?.is_error).toBe(true);
    expect(missing?.content).toContain('old_string was not found in config.js');
    expect(missing?.content).toContain('Closest line in the file:\n     2\tconst timeoutMs = 250;');
    expect(h.toolResultsSent(3)[0]?.content).toContain('Edited config.js (2 replacements)');
    expect(readFileSync(join(h.project, 'config.js'), 'utf8')).toBe(
      'let retries = 3;\nconst timeoutMs = 250;\nlet retries = 3;\n',
    );
  });

  it('returns a denied permission with the user message to the model and does not run the command', async () => {
    h = await agentHarness({
      scenario: 'permission-denied.yaml',
      files: { 'build/out.js': 'built\n' },
      permissions: async () => ({ allowed: false, message: 'do not delete build/, run `make clean` instead' }),
    });
    const result = await h.run('clean up');
    expect(result.stopReason).toBe('end_turn');
    expect(h.permissionRequests).toEqual([
      {
        sessionId: 'sess-test',
        agentId: 'agent-test',
        callId: 'p1',
        tool: 'run_command',
        action: 'command',
        target: 'rm -rf build',
        cwd: expect.stringContaining('sylk-agents-project-'),
      },
    ]);
    expect(h.toolResultsSent(1)[0]).toMatchObject({
      is_error: true,
      content: 'Permission denied: do not delete build/, run `make clean` instead',
    });
    expect(existsSync(join(h.project, 'build/out.js'))).toBe(true);
    expect(eventsOf(h.events, 'tool_output')).toEqual([]);
  });
});
