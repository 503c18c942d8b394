import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyDefaults, sanitizeLayer } from './schema.js';

describe('the validators compiled from the schema (src/generated)', () => {
  it('are current with schema/config.schema.json', () => {
    const script = fileURLToPath(new URL('../scripts/gen-validators.mjs', import.meta.url));
    // Throws with the script's message when they are stale.
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('fill defaults into a fresh tree each time and report invalid layers', () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    expect(applyDefaults(a)).toEqual([]);
    applyDefaults(b);
    expect(a).toEqual(b);
    expect(a.llm).not.toBe(b.llm);
    const { warnings } = sanitizeLayer({ llm: { timeout: 'soon' }, nope: 1 }, 'config.yaml');
    expect(warnings.map((w) => w.path).sort()).toEqual(['llm.timeout', 'nope']);
  });
});
