// Test-only: a ToolEnv over a real temp project (real FileSystemManager and ToolExecutor).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ManualClock, silentLogger } from '@sylk/core';
import { FileSystemManager, ParserRegistry, ToolExecutor } from '@sylk/tools';
import type { ToolEnv } from '../tools/tool.js';
import type { AgentEvent, PermissionOutcome } from '../types.js';

export interface TempProject {
  root: string;
  env: ToolEnv;
  events: AgentEvent[];
  write(path: string, content: string): void;
  link(path: string, target: string): void;
  cleanup(): void;
}

export function tempProject(
  files: Record<string, string> = {},
  permission: PermissionOutcome = { allowed: true },
): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'sylk-agents-tools-'));
  const temp = mkdtempSync(join(tmpdir(), 'sylk-agents-tools-temp-'));
  const clock = new ManualClock(0);
  const events: AgentEvent[] = [];
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  const env: ToolEnv = {
    callId: 'call-1',
    sessionId: 's',
    agentId: 'a',
    projectRoot: root,
    fs: new FileSystemManager({ roots: { project: root, temp }, clock, logger: silentLogger() }),
    executor: new ToolExecutor({ roots: [root, temp], baseEnv: process.env, spoolDir: temp, logger: silentLogger() }),
    parsers: new ParserRegistry(),
    clock,
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    askPermission: async () => permission,
  };
  return {
    root,
    env,
    events,
    write,
    link: (path, target) => symlinkSync(target, join(root, path)),
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
      rmSync(temp, { recursive: true, force: true });
    },
  };
}
