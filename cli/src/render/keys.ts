/**
 * Splits what a raw-mode terminal sent into single keys. One read can carry several keys
 * (fast typing, key repeat, a paste, or a loaded machine): `\x1b[B\x1b[B` is two Down
 * presses, not one unknown key. Escape sequences stay whole: CSI (`ESC [` params final),
 * SS3 (`ESC O` x) and Alt+key (`ESC` x); a lone ESC is the Esc key.
 */
export function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < chunk.length) {
    const ch = chunk[i] as string;
    if (ch !== '\u001b' || i + 1 >= chunk.length) {
      // Whole code points, so an emoji is one key.
      const cp = chunk.codePointAt(i) ?? 0;
      const key = String.fromCodePoint(cp);
      keys.push(key);
      i += key.length;
      continue;
    }
    const next = chunk[i + 1] as string;
    if (next === '[') {
      // CSI: parameter and intermediate bytes (0x20–0x3f), then one final byte (0x40–0x7e).
      let j = i + 2;
      while (j < chunk.length && chunk.charCodeAt(j) >= 0x20 && chunk.charCodeAt(j) <= 0x3f) j++;
      const end = j < chunk.length ? j + 1 : j;
      keys.push(chunk.slice(i, end));
      i = end;
    } else if (next === 'O' && i + 2 < chunk.length) {
      keys.push(chunk.slice(i, i + 3));
      i += 3;
    } else if (next === '\u001b') {
      keys.push('\u001b');
      i += 1;
    } else {
      keys.push(chunk.slice(i, i + 2));
      i += 2;
    }
  }
  return keys;
}

export const KEY = {
  up: new Set(['\u001b[A', '\u001bOA', 'k']),
  down: new Set(['\u001b[B', '\u001bOB', 'j']),
  enter: new Set(['\r', '\n']),
  cancel: new Set(['\u0003', '\u001b']),
  backspace: new Set(['\u007f', '\b']),
} as const;
