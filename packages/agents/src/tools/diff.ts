/**
 * A unified-style diff preview for permission prompts and edit results: one hunk spanning
 * everything between the common prefix and suffix lines (edits are usually one region), with
 * `context` lines around it, cut at `maxLines`.
 */
export function unifiedDiff(path: string, before: string | undefined, after: string, options: { context?: number; maxLines?: number } = {}): string {
  const context = options.context ?? 3;
  const maxLines = options.maxLines ?? 200;
  const oldLines = before === undefined ? [] : splitLines(before);
  const newLines = splitLines(after);
  let prefix = 0;
  while (prefix < oldLines.length && prefix < newLines.length && oldLines[prefix] === newLines[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < oldLines.length - prefix &&
    suffix < newLines.length - prefix &&
    oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]
  ) suffix++;
  const header = [before === undefined ? '--- /dev/null' : `--- a/${path}`, `+++ b/${path}`];
  if (before !== undefined && prefix === oldLines.length && prefix === newLines.length) return [...header, '(no changes)'].join('\n');
  const from = Math.max(0, prefix - context);
  const oldEnd = Math.min(oldLines.length, oldLines.length - suffix + context);
  const newEnd = Math.min(newLines.length, newLines.length - suffix + context);
  const body: string[] = [];
  for (let i = from; i < prefix; i++) body.push(` ${oldLines[i]}`);
  for (let i = prefix; i < oldLines.length - suffix; i++) body.push(`-${oldLines[i]}`);
  for (let i = prefix; i < newLines.length - suffix; i++) body.push(`+${newLines[i]}`);
  for (let i = oldLines.length - suffix; i < oldEnd; i++) body.push(` ${oldLines[i]}`);
  const oldCount = oldEnd - from;
  const newCount = newEnd - from;
  const hunk = `@@ -${oldCount === 0 ? from : from + 1},${oldCount} +${newCount === 0 ? from : from + 1},${newCount} @@`;
  const shown = body.length > maxLines ? [...body.slice(0, maxLines), `… ${body.length - maxLines} more diff lines …`] : body;
  return [...header, hunk, ...shown].join('\n');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
