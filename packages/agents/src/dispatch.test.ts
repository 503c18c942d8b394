import { silentLogger } from '@sylk/core';
import { afterEach, describe, expect, it } from 'vitest';
import { executeToolCalls, type Dispatcher } from './dispatch.js';
import { tempProject, type TempProject } from './testing/tool-env.js';
import { defaultTools } from './tools/index.js';
import type { PermissionFn } from './types.js';
import { ArgumentValidator } from './validate.js';

let p: TempProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

function dispatcher(
  project: TempProject,
  permissions: PermissionFn,
  signal = new AbortController().signal,
): Dispatcher {
  const tools = defaultTools();
  const { callId: _c, askPermission: _a, ...env } = project.env;
  return {
    tools: new Map(tools.map((t) => [t.name, t])),
    validator: new ArgumentValidator(tools),
    permissions,
    logger: silentLogger(),
    env: { ...env, signal },
  };
}

describe('executeToolCalls', () => {
  it('answers arguments that were not JSON with a tool error', async () => {
    p = tempProject();
    const [result] = await executeToolCalls(
      [{ id: 'x', name: 'read_file', arguments: {}, argumentsText: '{"path": "a.txt' }],
      dispatcher(p, async () => ({ allowed: true })),
    );
    expect(result).toMatchObject({
      role: 'tool',
      toolCallId: 'x',
      isError: true,
      content: expect.stringContaining('not a JSON object: {"path": "a.txt'),
    });
  });

  it('a cancel while waiting for approval ends the call without running it, and answers later calls as cancelled', async () => {
    p = tempProject({ 'a.txt': 'a\n' });
    const controller = new AbortController();
    const never: PermissionFn = () => {
      controller.abort();
      return new Promise(() => {});
    };
    const results = await executeToolCalls(
      [
        { id: 'w', name: 'write_file', arguments: { path: 'a.txt', content: 'b\n' } },
        { id: 'r', name: 'read_file', arguments: { path: 'a.txt' } },
      ],
      dispatcher(p, never, controller.signal),
    );
    expect(results.map((r) => [r.toolCallId, r.content])).toEqual([
      ['w', 'Permission denied: the turn was cancelled while waiting for approval'],
      ['r', 'Cancelled by the user before it ran.'],
    ]);
  });

  it("appends an allow's note (the user's words) to the tool result", async () => {
    p = tempProject();
    const [result] = await executeToolCalls(
      [{ id: 'w', name: 'write_file', arguments: { path: 'a.txt', content: 'b\n' } }],
      dispatcher(p, async () => ({ allowed: true, note: '[The user allowed this and says: keep it short]' })),
    );
    expect(result?.content).toMatch(/\n\n\[The user allowed this and says: keep it short\]$/);
    expect(result?.content.startsWith('[The user')).toBe(false);
  });
});
