import type { ToolDefinition } from '@sylk/llm';
import { processOutputTool, stopProcessTool } from './background.js';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { runCommandTool } from './run-command.js';
import { searchTool } from './search.js';
import type { AgentTool } from './tool.js';
import type { TaskRole } from './tasks.js';
import { writeFileTool } from './write-file.js';

export { defineTool, toolError, denied } from './tool.js';
export type { AgentTool } from './tool.js';

/** The coding tools offered to the model, in the order they are listed to it. */
export function defaultTools(): AgentTool[] {
  return [
    readFileTool,
    writeFileTool,
    editFileTool,
    listFilesTool,
    searchTool,
    runCommandTool,
    processOutputTool,
    stopProcessTool,
  ];
}

/**
 * A delegated task's tools: its role's, without background processes or further delegation.
 * An explorer's run_command is held to read-only safe commands by its role's permissions.
 */
export function roleTools(role: TaskRole): AgentTool[] {
  const read = [readFileTool, listFilesTool, searchTool];
  return role === 'explorer'
    ? [...read, runCommandTool]
    : [readFileTool, writeFileTool, editFileTool, listFilesTool, searchTool, runCommandTool];
}

export function toolDefinitions(tools: readonly AgentTool[]): ToolDefinition[] {
  return tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
}
