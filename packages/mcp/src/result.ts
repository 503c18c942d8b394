import type { McpCallResult } from './types.js';

/**
 * A result larger than `maxBytes` keeps its head and tail (cut at line ends where there are
 * some), with the middle replaced by a marker and a closing note, as command output is.
 */
function truncateResult(text: string, maxBytes: number): { text: string; truncated: boolean; bytes: number } {
  const buf = Buffer.from(text, 'utf8');
  const bytes = buf.length;
  if (bytes <= maxBytes) return { text, truncated: false, bytes };
  const budget = Math.max(256, maxBytes - 200);
  const headBytes = Math.floor(budget * 0.4);
  const tailBytes = budget - headBytes;
  let head = buf
    .subarray(0, headBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  let tail = buf
    .subarray(bytes - tailBytes)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  const headCut = head.lastIndexOf('\n');
  if (headCut > head.length / 2) head = head.slice(0, headCut);
  const tailCut = tail.indexOf('\n');
  if (tailCut >= 0 && tailCut < tail.length / 2) tail = tail.slice(tailCut + 1);
  const omitted = bytes - Buffer.byteLength(head) - Buffer.byteLength(tail);
  const out =
    `${head}\n… ${omitted} bytes omitted …\n${tail}\n` +
    `[result truncated: ${bytes} bytes, the first and last parts shown; ` +
    `ask the tool for less (a narrower query, a page) to see the rest]`;
  return { text: out, truncated: true, bytes };
}

interface ContentBlock {
  type: string;
  text?: string;
  mimeType?: string;
  data?: string;
  resource?: { uri?: string; text?: string; mimeType?: string };
  uri?: string;
  name?: string;
}

/** What the model reads of one content block: text as is, other kinds described. */
function blockText(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text ?? '';
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType ?? ''}, ${Math.floor(((block.data ?? '').length * 3) / 4)} bytes, not shown]`;
    case 'resource':
      return block.resource?.text ?? `[resource ${block.resource?.uri ?? ''}]`;
    case 'resource_link':
      return `[resource link ${block.name ?? ''} ${block.uri ?? ''}]`.replace(/\s+]/, ']');
    default:
      return `[${block.type} content not shown]`;
  }
}

/** A `tools/call` result as the model reads it. */
export function resultText(
  raw: { content?: unknown; structuredContent?: unknown; isError?: unknown; toolResult?: unknown },
  maxBytes: number,
): McpCallResult {
  let text: string;
  if (Array.isArray(raw.content) && raw.content.length > 0)
    text = (raw.content as ContentBlock[]).map(blockText).join('\n');
  else if (raw.structuredContent !== undefined) text = JSON.stringify(raw.structuredContent);
  else if (raw.toolResult !== undefined)
    text = typeof raw.toolResult === 'string' ? raw.toolResult : JSON.stringify(raw.toolResult);
  else text = '(no content)';
  const cut = truncateResult(text, maxBytes);
  return { text: cut.text, isError: raw.isError === true, truncated: cut.truncated, bytes: cut.bytes };
}
