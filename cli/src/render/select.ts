import type { Style } from '../output.js';

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
export function select<T>(input: KeyInput, output: PromptOutput, st: Style, question: string, choices: Choice<T>[], signal?: AbortSignal): Promise<T | undefined> {
  let index = 0;
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) output.write(`\u001b[${drawn}A`);
    const lines = [st.bold(question), ...choices.map((c, i) => `${i === index ? st.cyan('❯') : ' '} ${st.bold(`[${c.key}]`)} ${i === index ? st.cyan(c.label) : c.label}`)];
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
      const key = chunk.toString('utf8');
      if (key === '\u001b[A' || key === 'k') index = (index + choices.length - 1) % choices.length;
      else if (key === '\u001b[B' || key === 'j') index = (index + 1) % choices.length;
      else if (key === '\r' || key === '\n') return finish(choices[index]?.value);
      else if (key === '\u0003' || key === '\u001b') return finish(undefined);
      else {
        const hit = choices.find((c) => c.key === key.toLowerCase());
        if (hit) return finish(hit.value);
        return;
      }
      draw();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    draw();
  });
}

/** Read one line in raw mode (Enter ends, Backspace edits, Esc/Ctrl-C gives up). */
export function readLine(input: KeyInput, output: PromptOutput, prompt: string): Promise<string | undefined> {
  let text = '';
  output.write(`\r\u001b[K${prompt}`);
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          input.off('data', onData);
          output.write('\n');
          return resolve(text);
        }
        if (ch === '\u0003' || ch === '\u001b') {
          input.off('data', onData);
          output.write('\n');
          return resolve(undefined);
        }
        if (ch === '\u007f' || ch === '\b') {
          if (text.length > 0) {
            text = text.slice(0, -1);
            output.write('\b \b');
          }
        } else if (ch >= ' ') {
          text += ch;
          output.write(ch);
        }
      }
    };
    input.on('data', onData);
  });
}
