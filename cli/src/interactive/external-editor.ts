import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDirs, type Env } from '@sylk/config/paths';

/**
 * Compose a prompt in the user's editor (`$VISUAL`, else `$EDITOR`, else `vi`): the current text
 * goes into a private temp file under Sylk's state directory, the editor runs on the terminal (the
 * caller leaves raw mode first), and the saved text comes back without its final newline.
 * An error when the editor failed or could not start (the caller keeps the old text).
 */
export async function composeInEditor(env: Env, text: string): Promise<{ text?: string; error?: string }> {
  const editor = env.VISUAL || env.EDITOR || 'vi';
  const base = resolveDirs(env).temp;
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(base, 'prompt-'));
  const file = join(dir, 'PROMPT.md');
  try {
    writeFileSync(file, text, { mode: 0o600 });
    // Through the shell, as git does: EDITOR may carry arguments ("code --wait").
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'sylk-editor', file], {
      stdio: 'inherit',
      env: env as NodeJS.ProcessEnv,
    });
    const res = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (res.error) return { error: `could not start ${editor}: ${res.error.message}` };
    if (res.code !== 0) return { error: `${editor} exited with ${res.code ?? res.signal}; the prompt is unchanged` };
    return { text: readFileSync(file, 'utf8').replace(/\n$/, '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
