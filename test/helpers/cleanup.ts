import { afterEach } from 'vitest';
import type { SessionHarness } from './sessions.js';
import type { Tmux } from './tmux.js';

/** What a test file's tests start (session harnesses, tmux terminals), stopped after each test: terminals first. */
export function cleanedAfterEach(): { harnesses: SessionHarness[]; terminals: Tmux[] } {
  const started = { harnesses: [] as SessionHarness[], terminals: [] as Tmux[] };
  afterEach(async () => {
    for (const t of started.terminals.splice(0)) t.kill();
    await Promise.all(started.harnesses.splice(0).map((s) => s.cleanup()));
  });
  return started;
}
