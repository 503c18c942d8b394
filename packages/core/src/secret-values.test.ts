import { describe, expect, it } from 'vitest';
import { REDACTED, SecretValues, secretEnvEntries } from './index.js';

const KEY = 'k3y-Value-0123456789';

function chunked(secrets: SecretValues, chunks: string[]): string {
  const s = secrets.stream();
  return chunks.map((c) => s.write(c)).join('') + s.end();
}

describe('SecretValues', () => {
  it('replaces every occurrence, at the start, the end and back to back', () => {
    const s = new SecretValues();
    s.add(KEY);
    expect(s.redact(`${KEY} x ${KEY}${KEY}`)).toBe(`${REDACTED} x ${REDACTED}`);
    expect(s.redact(`a${KEY}`)).toBe(`a${REDACTED}`);
    expect(s.redact('nothing here')).toBe('nothing here');
  });

  it('returns the same string when nothing is registered or nothing matches', () => {
    const s = new SecretValues();
    const text = 'plain text '.repeat(100);
    expect(s.redact(text)).toBe(text);
    s.add(KEY);
    expect(s.redactValues(text)).toBe(text);
  });

  it('ignores values shorter than 8 characters', () => {
    const s = new SecretValues();
    expect(s.add('secret')).toBe(false);
    expect(s.size).toBe(0);
    expect(s.redact('a secret word')).toBe('a secret word');
  });

  it('merges overlapping and nested values into one marker, leaving no fragment', () => {
    const s = new SecretValues();
    s.add('abcdefgh12');
    s.add('12345678xx');
    s.add('cdefgh');
    s.add('abcdefgh');
    expect(s.redact('>abcdefgh12345678xx<')).toBe(`>${REDACTED}<`);
    expect(s.redact('abcdefgh and 12345678xx')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('also matches the JSON-escaped spelling of a value', () => {
    const s = new SecretValues();
    const odd = 'pa"ss\\word-99';
    s.add(odd);
    const json = JSON.stringify({ cmd: `echo ${odd}` });
    const out = s.redact(json);
    expect(out).not.toContain('ss\\\\word');
    expect(JSON.parse(out)).toEqual({ cmd: `echo ${REDACTED}` });
  });

  it('applies the credential patterns too', () => {
    expect(new SecretValues().redact('key sk-ant-abcdefghijklmnopqrstuv')).toBe(`key ${REDACTED}`);
  });

  it('removes a value only when no other owner holds it', () => {
    const s = new SecretValues();
    s.set('env OPENAI_API_KEY', KEY);
    s.set('credential default/openai', KEY);
    s.delete('credential default/openai');
    expect(s.redact(KEY)).toBe(REDACTED);
    s.delete('env OPENAI_API_KEY');
    expect(s.redact(KEY)).toBe(KEY);
    s.add(KEY);
    s.remove(KEY);
    expect(s.size).toBe(0);
  });

  it('replaces an owner value when it changes', () => {
    const s = new SecretValues();
    s.set('credential default/openai', 'old-key-1234');
    s.set('credential default/openai', 'new-key-5678');
    expect(s.redact('old-key-1234 new-key-5678')).toBe(`old-key-1234 ${REDACTED}`);
  });

  it('redacts strings inside objects and arrays without touching the input', () => {
    const s = new SecretValues();
    s.add(KEY);
    const input = { a: KEY, b: [1, `x${KEY}`, { c: KEY }], d: null };
    expect(s.redactDeep(input)).toEqual({ a: REDACTED, b: [1, `x${REDACTED}`, { c: REDACTED }], d: null });
    expect(input.a).toBe(KEY);
  });

  it('streams: a value split across chunks at every position is still redacted', () => {
    const s = new SecretValues();
    s.add(KEY);
    const text = `before ${KEY} middle ${KEY}\nafter`;
    for (let cut = 1; cut < text.length; cut++) {
      expect(chunked(s, [text.slice(0, cut), text.slice(cut)])).toBe(`before ${REDACTED} middle ${REDACTED}\nafter`);
    }
    expect(chunked(s, [...text])).toBe(`before ${REDACTED} middle ${REDACTED}\nafter`);
  });

  it('streams: output that cannot start a value is not held back past the current token', () => {
    const s = new SecretValues();
    s.add(KEY);
    const w = s.stream();
    expect(w.write('line one\nline two\n')).toBe('line one\nline two\n');
    expect(w.write('partial k3y-Va')).toBe('partial ');
    expect(w.write('lue-0123456789 done\n')).toBe(`${REDACTED} done\n`);
    expect(w.end()).toBe('');
  });

  it('streams: overlapping values split across chunks leave no fragment', () => {
    const s = new SecretValues();
    s.add('abcdefgh12');
    s.add('12345678xx');
    const text = 'x abcdefgh12345678xx y';
    for (let cut = 1; cut < text.length; cut++)
      expect(chunked(s, [text.slice(0, cut), text.slice(cut)])).toBe(`x ${REDACTED} y`);
  });

  it('streams: credential patterns split across chunks', () => {
    const s = new SecretValues();
    expect(chunked(s, ['token: sk-ant-abcdefgh', 'ijklmnopqrstuv\n'])).toBe(`token: ${REDACTED}\n`);
  });
});

describe('SecretValues.byteStream', () => {
  it('redacts a non-ASCII value split inside a UTF-8 sequence, and passes untouched chunks on as they are', () => {
    const s = new SecretValues();
    const key = 'clé-secrète-€-0123';
    s.add(key);
    const bytes = Buffer.from(`ok ${key} done\n`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const w = s.byteStream();
      const out = Buffer.concat([w.write(bytes.subarray(0, cut)), w.write(bytes.subarray(cut)), w.end()]).toString(
        'utf8',
      );
      expect(out).toBe(`ok ${REDACTED} done\n`);
    }
    const w = s.byteStream();
    const plain = Buffer.from('nothing to see here\n');
    expect(w.write(plain)).toBe(plain);
  });
});

describe('secretEnvEntries', () => {
  it('picks the variables a child environment never gets', () => {
    const env = { PATH: '/bin', ANTHROPIC_API_KEY: 'a', GITHUB_TOKEN: 'b', HOME: '/h', EMPTY_TOKEN: '' };
    expect(secretEnvEntries(env)).toEqual([
      ['ANTHROPIC_API_KEY', 'a'],
      ['GITHUB_TOKEN', 'b'],
    ]);
    expect(secretEnvEntries(env, ['HOME'])).toEqual([['HOME', '/h']]);
  });
});
