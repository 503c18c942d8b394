import type { Style } from '../output.js';

/** Under a prompt in the session view: the files its @mentions attached, and those refused with why. */
export function mentionLines(mentions: unknown, st: Style): string[] {
  if (!Array.isArray(mentions)) return [];
  return mentions.flatMap((m: unknown) => {
    if (typeof m !== 'object' || m === null) return [];
    const f = m as {
      path?: unknown;
      attached?: unknown;
      attachedBytes?: unknown;
      truncated?: unknown;
      reason?: unknown;
    };
    const path = typeof f.path === 'string' ? f.path : '?';
    if (f.attached !== true)
      return [
        `  ${st.yellow('@')} ${path} ${st.dim(`not attached: ${typeof f.reason === 'string' ? f.reason : 'unreadable'}`)}`,
      ];
    const bytes = typeof f.attachedBytes === 'number' ? f.attachedBytes : 0;
    return [
      `  ${st.cyan('@')} ${path} ` +
        st.dim(
          `attached (${bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`}` +
            `${f.truncated === true ? ', cut at the size limit' : ''})`,
        ),
    ];
  });
}
