import type { ToolDefinition } from '@sylk/llm';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { runCommandTool } from './run-command.js';
import { searchTool } from './search.js';
import type { AgentTool } from './tool.js';
import { writeFileTool } from './write-file.js';

export { defineTool, toolError, denied } from './tool.js';
export type { AgentTool, FileChange, ToolEnv, ToolOutcome } from './tool.js';
export { diffFile, diffStat, formatDiff, LOG_CAPS, PREVIEW_CAPS } from './unified-diff.js';
export type { DiffCaps, DiffHunk, DiffStat, FileDiff } from './unified-diff.js';
export { globMatcher } from './glob.js';

/** The coding tools offered to the model, in the order they are listed to it. */
export function defaultTools(): AgentTool[] {
  return [readFileTool, writeFileTool, editFileTool, listFilesTool, searchTool, runCommandTool];
}

export function toolDefinitions(tools: readonly AgentTool[]): ToolDefinition[] {
  return tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
}
