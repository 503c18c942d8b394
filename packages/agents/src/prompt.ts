export interface SystemPromptInput {
  projectRoot: string;
  platform: string;
  /** Wall-clock ms (from the injected clock). */
  now: number;
  /** The instructions section (`loadInstructions(...).prompt`); omitted when empty. */
  projectInstructions?: string;
  extra?: string;
}

/** A compact coding-agent system prompt. */
export function buildSystemPrompt(input: SystemPromptInput): string {
  const date = new Date(input.now).toISOString().slice(0, 10);
  const parts = [
    "You are a coding agent working in the user's project on their machine. Complete the task with the tools, then reply with a short summary of what you did.",
    `Project root: ${input.projectRoot}\nPlatform: ${input.platform}\nDate: ${date}`,
    [
      'Tool rules:',
      '- Paths are relative to the project root; you cannot touch files outside it.',
      '- Read a file before you edit it. edit_file needs old_string copied exactly ' +
        '(without the line-number prefix) and unique; add context lines if it is not.',
      '- Prefer edit_file for changes to existing files; write_file replaces the whole file.',
      '- Use list_files and search to find code instead of guessing paths.',
      '- run_command runs non-interactive commands; only a dev server or a watcher goes in the background (background: true). Run the relevant tests after a change.',
      '- Calls that only read (read_file, list_files, search) may be issued together; they run in parallel.',
      '- When the user denies a call, read their message and adapt; do not retry the same call unchanged.',
    ].join('\n'),
  ];
  if (input.projectInstructions !== undefined && input.projectInstructions !== '') {
    parts.push(
      `Instructions (AGENTS.md; where they differ, a later file is more specific and takes precedence):\n${input.projectInstructions}`,
    );
  }
  if (input.extra !== undefined && input.extra !== '') parts.push(input.extra);
  return parts.join('\n\n');
}
