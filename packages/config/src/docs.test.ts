import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('docs/configuration.md', () => {
  it('has the key table generated from the current schema', () => {
    const script = fileURLToPath(new URL('../scripts/gen-docs.mjs', import.meta.url));
    // Throws with the script's message when the table is stale.
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
