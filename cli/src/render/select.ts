import type { Style } from '../output.js';
import { KEY, splitKeys } from './keys.js';

export interface Choice<T> {
  key: string;
  label: string;
  value: T;
}

export interface KeyInput {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

export interface PromptOutput {
  write(text: string): unknown;
}

/**
 * An arrow-key / letter selection. Up/Down (or k/j) move, Enter picks the
 * highlighted choice, a choice's letter picks it at once, Esc or Ctrl-C gives
 * up (undefined). The caller owns raw mode; this only reads keys and redraws
 * its own lines.
 */
export function select<T>(
  input: KeyInput,
  output: PromptOutput,
  st: Style,
  question: string,
  choices: Choice<T>[],
  signal?: AbortSignal,
): Promise<T | undefined> {
  let index = 0;
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) output.write(`\u001b[${drawn}A`);
    const lines = [
      st.bold(question),
      ...choices.map(
        (c, i) =>
          `${i === index ? st.cyan('❯') : ' '} ${st.bold(`[${c.key}]`)} ${i === index ? st.cyan(c.label) : c.label}`,
      ),
    ];
    output.write(lines.map((l) => `\r\u001b[K${l}\n`).join(''));
    drawn = lines.length;
  };
  return new Promise((resolve) => {
    const finish = (value: T | undefined) => {
      input.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => finish(undefined);
    const onData = (chunk: Buffer) => {
      for (const key of splitKeys(chunk.toString('utf8'))) {
        if (KEY.up.has(key)) index = (index + choices.length - 1) % choices.length;
        else if (KEY.down.has(key)) index = (index + 1) % choices.length;
        else if (KEY.enter.has(key)) return finish(choices[index]?.value);
        else if (KEY.cancel.has(key)) return finish(undefined);
        else {
          const hit = choices.find((c) => c.key === key.toLowerCase());
          if (hit) return finish(hit.value);
          continue;
        }
        draw();
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    draw();
  });
}

/** Read one line in raw mode (Enter ends, Backspace edits, Esc/Ctrl-C or `signal` gives up). */
export function readLine(
  input: KeyInput,
  output: PromptOutput,
  prompt: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let text = '';
  output.write(`\r\u001b[K${prompt}`);
  return new Promise((resolve) => {
    const finish = (value: string | undefined) => {
      input.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      output.write('\n');
      resolve(value);
    };
    const onAbort = () => finish(undefined);
    const onData = (chunk: Buffer) => {
      for (const key of splitKeys(chunk.toString('utf8'))) {
        if (KEY.enter.has(key) || KEY.cancel.has(key)) return finish(KEY.enter.has(key) ? text : undefined);
        if (KEY.backspace.has(key)) {
          if (text.length > 0) {
            text = text.slice(0, -1);
            output.write('\b \b');
          }
        } else if (isPrintable(key)) {
          text += key;
          output.write(key);
        }
      }
    };
    if (signal?.aborted) return finish(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
  });
}

/** A key that types a character (not a control key or an escape sequence). */
export const isPrintable = (key: string): boolean => key >= ' ' && !key.startsWith('\u001b') && key !== '\u007f';
