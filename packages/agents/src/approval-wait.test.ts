import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '@sylk/core';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('tool_finished for the user', () => {
  it("leaves the time spent waiting for an approval out of the tool's duration, and lists a failed run's failures", async () => {
    const clock: { of?: ManualClock } = {};
    h = await agentHarness({
      scenario: 'fix-failing-test.yaml',
      files: {
        'package.json': '{ "type": "module" }\n',
        'src/math.js': 'export function add(a, b) {\n  return a - b;\n}\n',
        'src/math.test.js': [
          "import { test } from 'node:test';",
          "import assert from 'node:assert/strict';",
          "import { add } from './math.js';",
          "test('add adds', () => { assert.equal(add(2, 3), 5); });",
          '',
        ].join('\n'),
      },
      // The user takes 30 s to answer each approval.
      permissions: async () => {
        clock.of?.advance(30_000);
        return { allowed: true };
      },
    });
    clock.of = h.ctx.clock as ManualClock;
    await h.run('The add test fails, please fix it.');

    const finished = eventsOf(h.events, 'tool_finished');
    const test1 = finished.find((e) => e.callId === 'call_test1');
    expect(test1?.approvalWaitMs).toBe(30_000);
    expect(test1?.durationMs).toBeLessThan(30_000);
    expect(test1?.failures).toEqual([expect.stringMatching(/^✗ add adds/)]);
    // A call that asked nothing carries no wait; a passing run no failures.
    const read = finished.find((e) => e.callId === 'call_read');
    expect(read?.approvalWaitMs).toBeUndefined();
    expect(finished.find((e) => e.callId === 'call_test2')?.failures).toBeUndefined();
  });
});
