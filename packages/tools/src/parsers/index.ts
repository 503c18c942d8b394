export { ParserRegistry, createStreamingParser, BUILTIN_PARSERS } from './registry.js';
export { normalizeCommand, globToRegExp } from './command.js';
export { apply, validateTemplate, templateParser } from './templates.js';
export type { ParseTemplate, TemplateRule, TemplateMatch, ApplyResult, ApplyOptions } from './templates.js';
export { TemplateStore } from './template-store.js';
export { stripAnsi } from './util.js';
export { parseEslintJson } from './eslint.js';
export { tscParser } from './typescript.js';
export { eslintParser } from './eslint.js';
export { vitestParser, jestParser, nodeTestParser } from './js-tests.js';
export { goBuildParser, goTestParser } from './go.js';
export { pytestParser } from './pytest.js';
export { cargoBuildParser, cargoTestParser } from './cargo.js';
export { gitStatusParser, gitDiffParser, gitLogParser } from './git.js';
export { npmParser } from './npm.js';
export { genericParser } from './generic.js';
export type {
  Severity, Diagnostic, TestResult, ParseResult, StreamEvent, StreamingParser, OutputParser, LineMachine, ParseContext,
  GitStatus, GitFileChange, DiffFile, Commit, NpmFailure,
} from './types.js';
