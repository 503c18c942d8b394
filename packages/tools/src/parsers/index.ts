export { ParserRegistry } from './registry.js';
export type { Diagnostic, TestResult, ParseResult } from './types.js';
