/** A command typed at the prompt as `/name [args]`: handled by the CLI or the daemon, never sent to the model. */
export interface SlashCommand {
  /** One line for /help. */
  help: string;
  /** How the arguments are written in /help (`[name]`). */
  args?: string;
  /** The text to show ('' when the transcript shows the outcome); throws to report a failure. */
  run(args: string): Promise<string>;
}

/** Commands the attached view handles itself (it owns the terminal): leaving, $EDITOR, help. */
export const VIEW_COMMANDS: Readonly<Record<string, string>> = {
  help: 'this list',
  edit: 'compose the next message in $EDITOR (also Ctrl-X Ctrl-E)',
  detach: 'leave; the session keeps running (also Ctrl-] or Ctrl-D on an empty prompt)',
  quit: 'leave, as /detach',
};

/**
 * `/word rest` → its name and arguments; undefined when the text is a message for the model,
 * including one that merely starts with a path (`/usr/lib is missing`).
 */
export function parseSlash(text: string): { name: string; args: string } | undefined {
  const m = /^\/([a-z][a-z-]*)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (m === null) return undefined;
  return { name: m[1] as string, args: (m[2] ?? '').trim() };
}

/** The /help text: every command, aligned, with the keys that matter. */
export function slashHelp(commands: Readonly<Record<string, SlashCommand>>): string {
  const rows: Array<[string, string]> = [
    ...Object.entries(commands).map(([name, c]): [string, string] => [`/${name}${c.args ? ` ${c.args}` : ''}`, c.help]),
    ...Object.entries(VIEW_COMMANDS).map(([name, help]): [string, string] => [`/${name}`, help]),
  ].sort((a, b) => a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    ...rows.map(([usage, help]) => `  ${usage.padEnd(width)}  ${help}`),
    '',
    '  Enter sends · Alt+Enter, Ctrl-J or a trailing \\ adds a line · Up/Down and Ctrl-R: history · Tab completes /commands',
    '  Left/Right, Home/End (Ctrl-A/E), Alt-B/F move the cursor (Up/Down too, between the lines of a message)',
    '  Backspace/Delete, Ctrl-W (word), Ctrl-U/Ctrl-K (to the start/end of the line) edit at the cursor',
    '  Ctrl-C clears the line, on an empty one cancels the turn (twice within 2 s: detach) · Ctrl-D or Ctrl-] detaches',
    '  Ctrl-O shows the last collapsed command output in full',
  ].join('\n');
}
