// Twenty sessions on twenty projects at once, each started by its own `sylk run -d`: every one
// reaches idle and writes its own file in its own project (a one-step scenario keeps it light).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '@sylk/emulator';
import { waitFor } from '../helpers/sylk.js';
import { sessionHarness, startDetached, KEY, type SessionHarness } from '../helpers/sessions.js';

const N = 20;
const tag = (i: number) => `project-${String(i).padStart(2, '0')}`;

/** Each prompt names its project; the model writes that name into marker.txt, then says done. */
const scenario: Scenario = {
  name: 'e2e-many-sessions',
  apiKey: KEY,
  steps: [
    ...Array.from({ length: N }, (_, i) => ({
      name: tag(i),
      match: { lastUser: `write the marker for ${tag(i)}` },
      reply: { toolCalls: [{ name: 'write_file', arguments: { path: 'marker.txt', content: `${tag(i)}\n` } }] },
    })),
    { name: 'done', match: { lastTool: 'marker.txt' }, reply: { text: 'Marker written.' } },
    { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
  ],
};

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

describe('many sessions', () => {
  it(`runs ${N} sessions on ${N} projects at once, each with its own correct files`, async () => {
    const s = await sessionHarness({ scenario });
    harnesses.push(s);
    expect((await s.cli(['daemon', 'start'])).code).toBe(0);
    const projects = Array.from({ length: N }, (_, i) => s.project(tag(i), { 'README.md': `# ${tag(i)}\n` }));
    const created = await Promise.all(projects.map((p, i) => startDetached(s, p, `write the marker for ${tag(i)}`)));
    expect(new Set(created.map((c) => c.id)).size).toBe(N);
    expect(new Set(created.map((c) => c.name)).size).toBe(N);

    await waitFor(
      async () => (await s.sessions()).every((x) => x.state === 'idle' || x.state === 'failed'),
      60_000,
      `all ${N} sessions to finish`,
    );
    const sessions = await s.sessions();
    expect(sessions).toHaveLength(N);
    for (const [i, p] of projects.entries()) {
      const session = sessions.find((x) => x.projectRoot === p);
      expect(session, tag(i)).toMatchObject({ state: 'idle', pendingApprovals: 0, id: created[i]?.id });
      expect(readFileSync(join(p, 'marker.txt'), 'utf8')).toBe(`${tag(i)}\n`);
      expect(readdirSync(p).sort()).toEqual(['.sylk', 'README.md', 'marker.txt']);
    }
    // Two model requests per session, each answered by that session's own step.
    const steps = s.emu.requests().map((q) => q.stepName);
    expect(steps.filter((n) => n === 'done')).toHaveLength(N);
    expect(steps.filter((n) => n?.startsWith('project-')).sort()).toEqual(projects.map((_, i) => tag(i)));
    expect(steps).not.toContain('unexpected');
    const one = await s.events(created[7]?.id ?? '');
    expect(one.filter((e) => e.kind === 'tool_finished').map((e) => [e.data.name, e.data.ok])).toEqual([
      ['write_file', true],
    ]);
    expect(one.filter((e) => e.kind === 'assistant_message').at(-1)?.data.text).toBe('Marker written.');
  });
});
