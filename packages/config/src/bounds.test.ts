import { describe, expect, it } from 'vitest';
import { checkYamlBounds, cstProblem, YAML_LIMITS } from './bounds.js';
import { parseConfigText } from './parse.js';
import { validateConfigText } from './load.js';

/** The shapes that make the yaml parser recurse once per level. */
const deep = (levels: number): Record<string, string> => ({
  flowSeq: `llm: ${'['.repeat(levels)}${']'.repeat(levels)}\n`,
  flowMap: `llm: ${'{a: '.repeat(levels)}1${'}'.repeat(levels)}\n`,
  unclosed: `llm: ${'['.repeat(levels)}\n`,
  compactSeq: `llm:\n  ${'- '.repeat(levels)}x\n`,
  compactKey: `llm:\n  ${'? '.repeat(levels)}x\n`,
  // Capped so the text stays under the size limit and depth is what gets it rejected.
  indented: Array.from({ length: Math.min(levels, 500) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
});

describe('checkYamlBounds', () => {
  it('accepts ordinary config, including brackets in quotes, comments and block text', () => {
    const text = [
      'llm:',
      '  default_model: "[[[[{{{{"   # [[[[ not nesting',
      "  note: 'it''s [fine]'",
      '  prompt: |',
      ...Array.from({ length: 100 }, (_, i) => `${' '.repeat(4 + i)}line ${i} [`),
      '  providers:',
      '    x: {base_url: "http://h", models: {a: {context_window: 1}}}',
      '  list: [[1, 2], [3, [4]]]',
    ].join('\n');
    expect(checkYamlBounds(text)).toBeUndefined();
  });

  it.each(Object.keys(deep(1)))('rejects %s nesting past the limit with a position', (shape) => {
    const ok = checkYamlBounds(deep(YAML_LIMITS.maxDepth - 2)[shape] as string);
    expect(ok).toBeUndefined();
    const problem = checkYamlBounds(deep(2000)[shape] as string);
    expect(problem?.reason).toMatch(/nested more than 64 levels/);
    expect(problem?.line).toBeGreaterThanOrEqual(1);
    expect(problem?.col).toBeGreaterThanOrEqual(1);
  });

  it.each(Object.keys(deep(1)))('measures %s exactly on the parser’s own syntax tree too (the backstop)', (shape) => {
    expect(cstProblem(deep(YAML_LIMITS.maxDepth - 2)[shape] as string, YAML_LIMITS)).toBeUndefined();
    expect(cstProblem(deep(2000)[shape] as string, YAML_LIMITS)?.reason).toMatch(/nested more than 64 levels/);
  });

  it('is not fooled by quotes and brackets inside plain text', () => {
    // A quote or bracket inside a plain scalar is text: it must not hide the nesting that follows.
    for (const lead of ["a: it's\n", 'a: x[\n', 'a: x {\n', "a: {k:'x}\n", 'a: b - "c\n']) {
      expect(checkYamlBounds(`${lead}b: ${'['.repeat(2000)}\n`)?.reason, lead).toMatch(/nested more than 64 levels/);
      expect(checkYamlBounds(`${lead}b:\n  ${'- '.repeat(2000)}x\n`)?.reason, lead).toMatch(
        /nested more than 64 levels/,
      );
    }
  });

  it('rejects oversized text and alias floods', () => {
    expect(checkYamlBounds('a: 1\n'.repeat(300_000))?.reason).toMatch(/byte limit/);
    const bomb = ['a: &a [x, x]', ...Array.from({ length: 150 }, (_, i) => `k${i}: [*a, *a]`)].join('\n');
    expect(checkYamlBounds(bomb)?.reason).toMatch(/alias references/);
  });
});

describe('hostile config text', () => {
  it('is reported the same way on every parse and never reaches the parser (the second parse used to abort V8)', () => {
    for (const [shape, text] of Object.entries(deep(2000))) {
      for (let i = 0; i < 20; i++) {
        const parsed = parseConfigText(text, '/p/.sylk/config.yaml');
        expect(parsed.data, shape).toBeUndefined();
        expect(parsed.warnings).toHaveLength(1);
        expect(parsed.warnings[0]?.reason).toMatch(
          /^rejected before parsing at line \d+, column \d+: nested more than 64 levels deep/,
        );
        expect(validateConfigText(text, 'x').valid).toBe(false);
      }
    }
  });
});
