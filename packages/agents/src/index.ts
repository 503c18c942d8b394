// @sylk/agents: the agent loop, the tools offered to the model and the system prompt.
export { runTurn } from './loop.js';
export { ArgumentValidator } from './validate.js';
export { loadInstructions } from './instructions.js';
export type { InstructionDirs, InstructionFile } from './instructions.js';
export { attachMentions } from './mentions.js';
export type { MentionedFile } from './mentions.js';
export { compactHistory } from './compaction.js';
export type { CompactionSettings, CompactionStats } from './compaction.js';
export type { EstimateTokens } from './context-tokens.js';
export { defaultTools, roleTools, defineTool, toolError, denied } from './tools/index.js';
export { taskTools } from './tools/tasks.js';
export { diffFile } from './tools/unified-diff.js';
export type { TaskHost, TaskReport, TaskRole, TaskSpec } from './tools/tasks.js';
export type { AgentTool } from './tools/index.js';
export type {
  AgentEvent,
  AgentGate,
  EndedProcess,
  PermissionOutcome,
  ToolPermissionRequest,
  TurnContext,
} from './types.js';
