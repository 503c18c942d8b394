import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ErrorTier, SylkError, errorMessage } from '@sylk/core';

/** Token counts the emulator reports; mapped onto each wire format's usage fields. */
interface ScenarioUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

interface ScenarioToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type ScenarioStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

interface ScenarioReply {
  text?: string;
  thinking?: string;
  /** Anthropic only: a `redacted_thinking` block with this opaque data, after the thinking. */
  redactedThinking?: string;
  toolCalls?: ScenarioToolCall[];
  usage?: ScenarioUsage;
  /** Characters per text/thinking/argument delta. */
  chunkSize?: number;
  /** Pause before each streamed event. */
  delayMs?: number;
  /**
   * Pace the stream at this many events a second (on top of delayMs): a steady offered load
   * instead of as fast as the socket takes it. Events due within the same millisecond go out together.
   */
  eventsPerSecond?: number;
  /**
   * Every occurrence of this string in a streamed frame is replaced, as the frame is written, by
   * the wall-clock time of the write (ms since the epoch, 3 decimals): a client measures the
   * latency from the emulator's write to its receipt (test/bench/fleet.bench.mjs).
   */
  stampMarker?: string;
  stopReason?: ScenarioStopReason;
  /**
   * The last tool call's arguments stop after this many characters of their JSON, as when the
   * output limit is hit mid-call (streamed replies; stopReason defaults to max_tokens).
   */
  cutToolArguments?: number;
  /** Gemini only: send every function call twice (real Gemini sometimes repeats them). */
  repeatToolCalls?: boolean;
}

const FAULT_KINDS = [
  'rate_limit',
  'overloaded',
  'server_error',
  'unauthorized',
  'quota',
  'http',
  'stream_error',
  'drop',
  'malformed',
  'stall',
  'blocked',
  'keepalive',
  'hold_open',
] as const;
type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScenarioFault {
  kind: FaultKind;
  /** `http`: the status to answer with. */
  status?: number;
  /** Overrides the provider error type (e.g. `overloaded_error`, `server_error`, `UNAVAILABLE`). */
  errorType?: string;
  message?: string;
  /** `rate_limit`/`quota`: `retry-after` header in seconds. */
  retryAfter?: number;
  /** `rate_limit`: `retry-after-ms` header. */
  retryAfterMs?: number;
  /** Streaming faults: how many SSE events to send first. */
  afterChunks?: number;
  /** `stall`, `keepalive`, `hold_open`: how long; default until the client goes away. */
  ms?: number;
  /** `keepalive`: time between two keep-alives (default 1000). */
  intervalMs?: number;
  /** `blocked` (Gemini): finish reason. */
  reason?: 'SAFETY' | 'RECITATION';
}

interface ScenarioMatch {
  /** 0-based index of the model request since start/reset. */
  turn?: number;
  /** Substring, or `/regex/flags`, of the last message when it is user text. */
  lastUser?: string;
  /** Substring, or `/regex/flags`, of the last message when it is a tool result. */
  lastTool?: string;
}

export interface ScenarioStep {
  name?: string;
  match?: ScenarioMatch;
  /** How many requests this step may answer; default unlimited (a `turn` match is naturally once). */
  times?: number;
  reply?: ScenarioReply;
  fault?: ScenarioFault;
}

export interface Scenario {
  name?: string;
  /** When set, any other key gets a 401 in the provider's format. */
  apiKey?: string;
  defaults?: { chunkSize?: number; delayMs?: number; eventsPerSecond?: number; usage?: ScenarioUsage };
  steps: ScenarioStep[];
}

function invalid(where: string, message: string): SylkError {
  return new SylkError(`invalid emulator scenario: ${where}: ${message}`, {
    tier: ErrorTier.UserFixable,
    code: 'emulator.scenario_invalid',
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(where: string, value: Obj, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(where, `unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

function checkNumber(where: string, value: Obj, key: string, min = 0): void {
  const v = value[key];
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min)) {
    throw invalid(where, `${key} must be a number >= ${min}`);
  }
}

function checkString(where: string, value: Obj, key: string): void {
  if (value[key] !== undefined && typeof value[key] !== 'string') throw invalid(where, `${key} must be a string`);
}

function checkPattern(where: string, value: Obj, key: string): void {
  checkString(where, value, key);
  const p = value[key];
  if (typeof p === 'string' && p.startsWith('/')) {
    try {
      toMatcher(p);
    } catch (err) {
      throw invalid(where, `${key} is not a valid regex: ${errorMessage(err)}`);
    }
  }
}

function checkUsage(where: string, usage: unknown): void {
  if (usage === undefined) return;
  if (!isObj(usage)) throw invalid(where, 'usage must be a mapping');
  checkKeys(`${where}.usage`, usage, ['input', 'output', 'cacheRead', 'cacheWrite']);
  for (const k of ['input', 'output', 'cacheRead', 'cacheWrite']) checkNumber(`${where}.usage`, usage, k);
}

function checkReply(where: string, reply: unknown): void {
  if (!isObj(reply)) throw invalid(where, 'reply must be a mapping');
  checkKeys(where, reply, [
    'text',
    'thinking',
    'redactedThinking',
    'toolCalls',
    'usage',
    'chunkSize',
    'delayMs',
    'eventsPerSecond',
    'stampMarker',
    'stopReason',
    'repeatToolCalls',
    'cutToolArguments',
  ]);
  checkString(where, reply, 'text');
  checkString(where, reply, 'stampMarker');
  if (reply.stampMarker === '') throw invalid(where, 'stampMarker must not be empty');
  checkString(where, reply, 'thinking');
  checkString(where, reply, 'redactedThinking');
  checkNumber(where, reply, 'chunkSize', 1);
  checkNumber(where, reply, 'delayMs');
  checkNumber(where, reply, 'eventsPerSecond', 1);
  checkNumber(where, reply, 'cutToolArguments');
  checkUsage(where, reply['usage']);
  const stop = reply['stopReason'];
  if (stop !== undefined && !['end_turn', 'max_tokens', 'stop_sequence', 'tool_use'].includes(String(stop))) {
    throw invalid(where, `stopReason must be end_turn, max_tokens, stop_sequence or tool_use`);
  }
  const calls = reply['toolCalls'];
  if (calls === undefined) return;
  if (!Array.isArray(calls)) throw invalid(where, 'toolCalls must be a list');
  calls.forEach((call: unknown, i) => {
    const w = `${where}.toolCalls[${i}]`;
    if (!isObj(call)) throw invalid(w, 'must be a mapping');
    checkKeys(w, call, ['id', 'name', 'arguments']);
    if (typeof call['name'] !== 'string' || call['name'] === '') throw invalid(w, 'name is required');
    checkString(w, call, 'id');
    if (call['arguments'] !== undefined && !isObj(call['arguments'])) throw invalid(w, 'arguments must be a mapping');
  });
}

function checkFault(where: string, fault: unknown): void {
  if (!isObj(fault)) throw invalid(where, 'fault must be a mapping');
  checkKeys(where, fault, [
    'kind',
    'status',
    'errorType',
    'message',
    'retryAfter',
    'retryAfterMs',
    'afterChunks',
    'ms',
    'intervalMs',
    'reason',
  ]);
  if (!FAULT_KINDS.includes(fault['kind'] as FaultKind)) {
    throw invalid(where, `kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  for (const k of ['retryAfter', 'retryAfterMs', 'afterChunks', 'ms']) checkNumber(where, fault, k);
  checkNumber(where, fault, 'intervalMs', 1);
  checkNumber(where, fault, 'status', 100);
  checkString(where, fault, 'errorType');
  checkString(where, fault, 'message');
  if (fault['kind'] === 'http' && typeof fault['status'] !== 'number') throw invalid(where, 'kind http needs a status');
  if (fault['reason'] !== undefined && fault['reason'] !== 'SAFETY' && fault['reason'] !== 'RECITATION') {
    throw invalid(where, 'reason must be SAFETY or RECITATION');
  }
}

/** Validate a parsed scenario; errors name the offending step. */
export function validateScenario(input: unknown): Scenario {
  if (!isObj(input)) throw invalid('scenario', 'must be a mapping with a "steps" list');
  checkKeys('scenario', input, ['name', 'apiKey', 'defaults', 'steps']);
  checkString('scenario', input, 'name');
  checkString('scenario', input, 'apiKey');
  const defaults = input['defaults'];
  if (defaults !== undefined) {
    if (!isObj(defaults)) throw invalid('defaults', 'must be a mapping');
    checkKeys('defaults', defaults, ['chunkSize', 'delayMs', 'eventsPerSecond', 'usage']);
    checkNumber('defaults', defaults, 'chunkSize', 1);
    checkNumber('defaults', defaults, 'delayMs');
    checkNumber('defaults', defaults, 'eventsPerSecond', 1);
    checkUsage('defaults', defaults['usage']);
  }
  const steps = input['steps'];
  if (!Array.isArray(steps) || steps.length === 0) throw invalid('scenario', '"steps" must be a non-empty list');
  steps.forEach((step: unknown, i) => {
    const label = isObj(step) && typeof step['name'] === 'string' ? `step ${i} ("${step['name']}")` : `step ${i}`;
    if (!isObj(step)) throw invalid(label, 'must be a mapping');
    checkKeys(label, step, ['name', 'match', 'times', 'reply', 'fault']);
    checkNumber(label, step, 'times', 1);
    if (step['reply'] === undefined && step['fault'] === undefined) throw invalid(label, 'needs a reply or a fault');
    if (step['reply'] !== undefined) checkReply(`${label}.reply`, step['reply']);
    if (step['fault'] !== undefined) checkFault(`${label}.fault`, step['fault']);
    const match = step['match'];
    if (match !== undefined) {
      if (!isObj(match)) throw invalid(`${label}.match`, 'must be a mapping');
      checkKeys(`${label}.match`, match, ['turn', 'lastUser', 'lastTool']);
      checkNumber(`${label}.match`, match, 'turn');
      checkPattern(`${label}.match`, match, 'lastUser');
      checkPattern(`${label}.match`, match, 'lastTool');
    }
  });
  return input as unknown as Scenario;
}

/** @internal exported for tests */
export function parseScenario(yamlText: string, source = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (err) {
    throw invalid(source, `not valid YAML: ${errorMessage(err)}`);
  }
  return validateScenario(data);
}

export async function loadScenario(path: string): Promise<Scenario> {
  return parseScenario(await readFile(path, 'utf8'), path);
}

/** `/re/flags` is a regex; anything else is a substring. */
export function toMatcher(pattern: string): (text: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    const regex = new RegExp(re[1] ?? '', re[2]);
    return (text) => regex.test(text);
  }
  return (text) => text.includes(pattern);
}
