import type { Style } from '../output.js';

/**
 * Inline Markdown for the terminal: `code`, **bold**, *emphasis*, ~~strike~~ and [links](url),
 * wherever text is shown (paragraphs, headings, lists, quotes, table cells). Code spans are
 * left as written inside. Without colour the markers go and the text stays.
 */

// C0 controls (but tab) and DEL as their Control Pictures: the model's text is untrusted, and
// a raw ESC would restyle (or drive) the user's terminal.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** `text` with control characters made visible (no escape sequence of the model reaches the terminal). */
export function visibleControls(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

const sgr = (on: number, off: number, enabled: boolean) => (s: string) =>
  enabled ? `\u001b[${on}m${s}\u001b[${off}m` : s;

/** Whether `st` writes escape codes (the same test every renderer here can make). */
export const colourOn = (st: Style): boolean => st.bold('x') !== 'x';

function emphasis(text: string, st: Style): string {
  const on = colourOn(st);
  const italic = sgr(3, 23, on);
  const strike = sgr(9, 29, on);
  const underline = sgr(4, 24, on);
  return (
    text
      // [text](url): the text underlined, then the address (once when they are the same).
      .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) =>
        label === url ? underline(url) : `${underline(label)} ${st.dim(`(${url})`)}`,
      )
      .replace(/<(https?:\/\/[^>\s]+)>/g, (_m, url: string) => underline(url))
      .replace(/\*\*([^*\n]+)\*\*|__([^_\n]+)__/g, (_m, a?: string, b?: string) => st.bold(a ?? b ?? ''))
      .replace(/(^|[^\w*])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])/g, (_m, pre: string, t: string) => pre + italic(t))
      .replace(/(^|[^\w])_([^_\s](?:[^_\n]*[^_\s])?)_(?!\w)/g, (_m, pre: string, t: string) => pre + italic(t))
      .replace(/~~([^~\n]+)~~/g, (_m, t: string) => strike(t))
  );
}

/** One line of inline Markdown, styled; `code` spans keep their content as written. */
export function inline(text: string, st: Style): string {
  const safe = visibleControls(text);
  const parts = safe.split(/(`[^`]+`)/);
  return parts.map((part, i) => (i % 2 === 1 ? st.cyan(part.slice(1, -1)) : emphasis(part, st))).join('');
}
