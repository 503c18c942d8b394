export { /** @internal exported for tests */ startEmulator } from './server.js';
export type { Emulator, RecordedRequest } from './server.js';
export type { Scenario, ScenarioFault } from './scenario.js';
