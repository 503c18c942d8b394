import { cargoBuildParser, cargoTestParser } from './cargo.js';
import { globToRegExp, jsCli, normalizeCommand } from './command.js';
import { eslintParser } from './eslint.js';
import { genericMachine } from './generic.js';
import { gitDiffParser, gitLogParser, gitStatusParser } from './git.js';
import { goBuildParser, goTestParser } from './go.js';
import { jestParser, nodeTestParser, vitestParser } from './js-tests.js';
import { npmParser } from './npm.js';
import { pytestParser } from './pytest.js';
import { tscParser } from './typescript.js';
import type { OutputParser, ParseContext, ParseResult, StreamingParser } from './types.js';
import { streamingFrom } from './util.js';

interface Entry {
  pattern: string;
  regex: RegExp;
  parser: OutputParser;
}

const BUILTIN_PARSERS: Array<[string[], OutputParser]> = [
  [jsCli('tsc'), tscParser],
  [jsCli('eslint'), eslintParser],
  [jsCli('vitest'), vitestParser],
  [jsCli('jest'), jestParser],
  [['node --test*', 'node *--test*'], nodeTestParser],
  [['go test*'], goTestParser],
  [['go build*', 'go vet*', 'go install*', 'go run*'], goBuildParser],
  [['pytest', 'pytest *', 'python -m pytest*', 'python3 -m pytest*', 'py.test*'], pytestParser],
  [['cargo test*', 'cargo nextest*'], cargoTestParser],
  [['cargo build*', 'cargo check*', 'cargo clippy*', 'cargo run*'], cargoBuildParser],
  [['git status*'], gitStatusParser],
  [['git diff*', 'git show*'], gitDiffParser],
  [['git log*'], gitLogParser],
  [['npm install*', 'npm i', 'npm i *', 'npm ci*', 'npm add*', 'npm update*', 'npm uninstall*'], npmParser],
];

/** Parser selection by command pattern; custom registrations win over built-ins, newest first. */
export class ParserRegistry {
  private custom: Entry[] = [];
  private readonly builtins: Entry[];

  constructor(options: { builtins?: boolean } = {}) {
    this.builtins =
      options.builtins === false
        ? []
        : BUILTIN_PARSERS.flatMap(([patterns, parser]) =>
            patterns.map((pattern) => ({ pattern, regex: globToRegExp(pattern), parser })),
          );
  }

  register(pattern: string, parser: OutputParser): void {
    this.custom.unshift({ pattern, regex: globToRegExp(pattern), parser });
  }

  match(command: string): OutputParser | undefined {
    const line = normalizeCommand(command);
    return [...this.custom, ...this.builtins].find((e) => e.regex.test(line))?.parser;
  }

  /** Parsed result, or undefined when no parser matches (the caller shows truncated output). */
  parse(command: string, output: string, context?: ParseContext): ParseResult | undefined {
    return this.match(command)?.parse(output, context);
  }

  /** Per-tool streaming parser; tools without a line machine use the generic one. */
  createStreamingParser(command: string): StreamingParser {
    const parser = this.match(command);
    const machine = parser?.stream?.() ?? genericMachine();
    const testTool = parser?.parse('').tests !== undefined;
    return streamingFrom(parser?.tool ?? 'generic', machine, testTool);
  }
}
