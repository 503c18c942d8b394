export { startEmulator } from './server.js';
export type { Emulator, EmulatorOptions, RecordedRequest } from './server.js';
export { loadScenario, parseScenario, validateScenario, FAULT_KINDS } from './scenario.js';
export type {
  Scenario, ScenarioStep, ScenarioMatch, ScenarioReply, ScenarioFault, ScenarioToolCall, ScenarioUsage, FaultKind,
} from './scenario.js';
export type { FormatName } from './formats/types.js';
