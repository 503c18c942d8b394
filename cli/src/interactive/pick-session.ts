import type { Client } from '@grpc/grpc-js';
import { createClient } from '@sylk/proto/client';
import { SessionService, SessionState, type Session } from '@sylk/proto/session';
import { formatDuration, type Style } from '../output.js';
import { select, type KeyInput, type PromptOutput } from '../render/select.js';

/** At most this many sessions in the picker (one digit each). */
const PICKER_SIZE = 9;

/** A project's open sessions, most recently active first. */
export async function projectSessions(channel: Client, projectRoot: string): Promise<Session[]> {
  const res = await createClient(SessionService, channel).listSessions({ all: false, projectRoot });
  return res.sessions
    .filter((s) => s.state !== SessionState.CLOSED)
    .sort((a, b) => Number(b.lastActivityUnixMs) - Number(a.lastActivityUnixMs));
}

/** The text of a session's last message (the user's or the model's), from the tail of its log; '' when none. */
async function lastMessage(channel: Client, session: string): Promise<string> {
  let text = '';
  const events = createClient(SessionService, channel).readEvents({ session, fromSeq: 1n, tail: 50, follow: false });
  for await (const { event } of events) {
    if (event?.kind !== 'user_input' && event?.kind !== 'assistant_message') continue;
    const data = JSON.parse(event.dataJson || '{}') as { text?: unknown };
    if (typeof data.text === 'string' && data.text.trim() !== '') text = data.text;
  }
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * One picker row: name, state, age, the last message cut to the width.
 * @internal exported for tests
 */
export function pickerLabel(s: Session, message: string, now: number, width: number): string {
  const state = (SessionState[s.state] ?? '').toLowerCase();
  const age = `${formatDuration(Math.max(0, now - Number(s.lastActivityUnixMs)) / 1000)} ago`;
  const head = `${s.name}  ${state}  ${age}`;
  const room = width - head.length - 12;
  if (message === '' || room < 10) return head;
  return `${head}  ${message.length > room ? `${message.slice(0, room - 1)}…` : message}`;
}

/**
 * `sylk resume` without a name: the project's sessions to choose from (arrows + Enter, or the
 * digit shown); undefined when the user gives up (Esc, Ctrl-C).
 */
export async function pickSession(
  channel: Client,
  sessions: readonly Session[],
  io: {
    stdin: KeyInput & { setRawMode?(raw: boolean): unknown; resume(): unknown; pause(): unknown };
    stdout: PromptOutput & { columns?: number };
  },
  st: Style,
  now: number,
): Promise<Session | undefined> {
  const shown = sessions.slice(0, PICKER_SIZE);
  const messages = await Promise.all(shown.map((s) => lastMessage(channel, s.id).catch(() => '')));
  const width = io.stdout.columns || 80;
  io.stdin.setRawMode?.(true);
  io.stdin.resume();
  try {
    return await select(
      io.stdin,
      io.stdout,
      st,
      'Resume which session?',
      shown.map((s, i) => ({ key: String(i + 1), label: pickerLabel(s, messages[i] ?? '', now, width), value: s })),
    );
  } finally {
    io.stdin.setRawMode?.(false);
    io.stdin.pause();
  }
}
