import { REDACTED, SecretValues, silentLogger } from '@sylk/core';
import { afterEach, describe, expect, it } from 'vitest';
import { executeToolCalls } from './dispatch.js';
import { tempProject, type TempProject } from './testing/tool-env.js';
import { defaultTools } from './tools/index.js';
import type { AgentEvent } from './types.js';
import { ArgumentValidator } from './validate.js';

let p: TempProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe('tool_finished of a file change', () => {
  it('carries the unified diff (redacted) and its counts; the model reads only the short result', async () => {
    const key = 'LEAKVALUE-0123456789abcdef';
    const secrets = new SecretValues();
    secrets.add(key);
    p = tempProject({ 'app.env': 'A=1\nB=2\n' });
    const tools = defaultTools();
    const { callId: _c, askPermission: _a, ...env } = p.env;
    const [result] = await executeToolCalls(
      [{ id: 'w', name: 'write_file', arguments: { path: 'app.env', content: `A=1\nB=${key}\n` } }],
      {
        tools: new Map(tools.map((t) => [t.name, t])),
        validator: new ArgumentValidator(tools),
        permissions: async () => ({ allowed: true }),
        logger: silentLogger(),
        env,
        redact: secrets,
      },
    );
    expect(result?.content).toBe('Overwrote app.env (2 lines, 33 bytes)');
    const finished = p.events.filter(
      (e): e is Extract<AgentEvent, { type: 'tool_finished' }> => e.type === 'tool_finished',
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]?.diffStat).toEqual({ path: 'app.env', added: 1, removed: 1, hunks: 1 });
    expect(finished[0]?.diff).toBe(`--- a/app.env\n+++ b/app.env\n@@ -1,2 +1,2 @@\n A=1\n-B=2\n+B=${REDACTED}`);
  });
});
