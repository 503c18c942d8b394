// @sylk/agents: the agent loop, the tools offered to the model and the system prompt.
export { runTurn, DEFAULT_MAX_TURNS, INTERRUPTED_MARKER } from './loop.js';
export { executeToolCalls, MAX_RESULT_CHARS } from './dispatch.js';
export type { Dispatcher } from './dispatch.js';
export { ArgumentValidator } from './validate.js';
export type { Validation } from './validate.js';
export { buildSystemPrompt } from './prompt.js';
export { loadInstructions, INSTRUCTION_LIMITS, INSTRUCTION_NAMES } from './instructions.js';
export type { InstructionDirs, InstructionFile, InstructionScope, Instructions } from './instructions.js';
export { attachMentions, findMentions } from './mentions.js';
export type { MentionResult, MentionedFile, MentionOptions } from './mentions.js';
export type { SystemPromptInput } from './prompt.js';
export { AgentErrorCode } from './errors.js';
export { compactHistory, outputReserve, TurnWindow } from './compaction.js';
export type { CompactionContext, CompactionSettings, CompactionStats, CompactOptions } from './compaction.js';
export { tokenCounter, roughTokens, TokenCounter } from './context-tokens.js';
export type { EstimateTokens } from './context-tokens.js';
export { SUMMARY_REQUEST } from './summarize.js';
export { defaultTools, toolDefinitions, defineTool, toolError, denied, diffFile, formatDiff, globMatcher } from './tools/index.js';
export type { AgentTool, DiffCaps, DiffStat, FileChange, FileDiff, ToolEnv, ToolOutcome } from './tools/index.js';
export type {
  AgentEvent, AgentGate, PermissionFn, PermissionOutcome, ToolPermissionRequest, TurnContext, TurnResult, TurnStopReason,
} from './types.js';
