// @sylk/agents: the agent loop, the tools offered to the model and the system prompt.
export { runTurn, DEFAULT_MAX_TURNS, INTERRUPTED_MARKER } from './loop.js';
export { executeToolCalls, MAX_RESULT_CHARS } from './dispatch.js';
export type { Dispatcher } from './dispatch.js';
export { ArgumentValidator } from './validate.js';
export type { Validation } from './validate.js';
export { buildSystemPrompt, loadProjectInstructions, PROJECT_INSTRUCTIONS_MAX_CHARS } from './prompt.js';
export type { SystemPromptInput } from './prompt.js';
export { AgentErrorCode } from './errors.js';
export { defaultTools, toolDefinitions, defineTool, toolError, denied, unifiedDiff, globMatcher } from './tools/index.js';
export type { AgentTool, ToolEnv, ToolOutcome } from './tools/index.js';
export type {
  AgentEvent, AgentGate, PermissionFn, PermissionOutcome, ToolPermissionRequest, TurnContext, TurnResult, TurnStopReason,
} from './types.js';
