import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { ErrorTier, SylkError, silentLogger, type Logger } from '@sylk/core';
import { loadScenario, validateScenario, type Scenario, type ScenarioFault } from './scenario.js';
import { httpErrorSpec, pickStep, resolveReply, retryHeaders, streamErrorSpec, type StepState } from './plan.js';
import { anthropicFormat } from './formats/anthropic.js';
import { openaiResponsesFormat } from './formats/openai-responses.js';
import { openaiChatFormat } from './formats/openai-chat.js';
import { geminiFormat } from './formats/gemini.js';
import type { ErrorSpec, FormatName, Obj, WireFormat } from './formats/types.js';

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased; credentials replaced by `[REDACTED]`. */
  headers: Record<string, string>;
  body: unknown;
  format?: FormatName;
  stream: boolean;
  /** 0-based model-request index (undefined for health/list calls). */
  turn?: number;
  matchedStep: number | null;
  stepName?: string;
  /** Model calls in progress when this one arrived, itself included (a client's concurrency). */
  concurrent?: number;
}

export interface EmulatorOptions {
  scenario?: Scenario;
  scenarioPath?: string;
  port?: number;
  host?: string;
  logger?: Logger;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  requests(): RecordedRequest[];
  /** Forget recorded requests, turn count and step uses. */
  reset(): void;
  setScenario(scenario: Scenario): void;
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'proxy-authorization',
  'cookie',
]);
const DEFAULT_AFTER_CHUNKS = 2;
/** `keepalive` starts after the opening event, before any content. */
const KEEPALIVE_AFTER_CHUNKS = 1;

/** What each format sends to keep a quiet stream alive: Anthropic's `ping` event, an SSE comment; Gemini sends none. */
const KEEPALIVE: Record<FormatName, string | undefined> = {
  anthropic: 'event: ping\ndata: {"type": "ping"}\n\n',
  'openai-responses': ': keep-alive\n\n',
  'openai-chat': ': keep-alive\n\n',
  gemini: undefined,
};

function redactHeaders(headers: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? '[REDACTED]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

interface Pace {
  delayMs: number;
  eventsPerSecond: number | undefined;
  stampMarker: string | undefined;
}

/** A frame as written: the stamp marker (if any) replaced by the wall-clock time now. */
function stamped(frame: string, marker: string | undefined): string {
  if (marker === undefined || !frame.includes(marker)) return frame;
  return frame.replaceAll(marker, (performance.timeOrigin + performance.now()).toFixed(3));
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Bytes of SSE events written at once at most. */
const MAX_WRITE = 64 * 1024;

function writeAndFlush(raw: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (raw.destroyed) return resolve();
    raw.write(data, () => resolve());
  });
}

/** Start an emulator in-process. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  let scenario: Scenario = options.scenario
    ? validateScenario(options.scenario)
    : options.scenarioPath
      ? await loadScenario(options.scenarioPath)
      : ((): never => {
          throw new SylkError('startEmulator needs scenario or scenarioPath', {
            tier: ErrorTier.Permanent,
            code: 'emulator.no_scenario',
          });
        })();
  const logger = options.logger ?? silentLogger();
  const closing = new AbortController();
  let recorded: RecordedRequest[] = [];
  let seq = 0;
  let turn = 0;
  let modelCallsInProgress = 0;
  let state: StepState = { uses: [] };

  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024, forceCloseConnections: true });

  function record(req: FastifyRequest, extra: Partial<RecordedRequest>): RecordedRequest {
    const url = new URL(req.url, 'http://emulator');
    const query = Object.fromEntries(url.searchParams);
    if (query['key'] !== undefined) query['key'] = '[REDACTED]';
    const entry: RecordedRequest = {
      seq: seq++,
      method: req.method,
      path: url.pathname,
      query,
      headers: redactHeaders(req.headers),
      body: req.body ?? null,
      stream: false,
      matchedStep: null,
      ...extra,
    };
    recorded.push(entry);
    return entry;
  }

  function sendError(
    reply: FastifyReply,
    format: WireFormat,
    spec: ErrorSpec,
    headers: Record<string, string> = {},
  ): FastifyReply {
    return reply
      .code(spec.status)
      .headers({ 'request-id': 'req_emulator', ...headers })
      .type('application/json')
      .send(format.errorBody(spec));
  }

  function authFailed(format: WireFormat, req: FastifyRequest): boolean {
    if (scenario.apiKey === undefined) return false;
    return format.apiKey(req.headers, req.query as Obj) !== scenario.apiKey;
  }

  async function handleModelCall(
    format: WireFormat,
    req: FastifyRequest,
    reply: FastifyReply,
    view: Obj,
  ): Promise<FastifyReply | void> {
    const stream = format.isStream(view);
    modelCallsInProgress++;
    reply.raw.once('close', () => modelCallsInProgress--);
    const entry = record(req, { format: format.name, stream, turn, concurrent: modelCallsInProgress });
    const thisTurn = turn++;
    logger.debug({ format: format.name, turn: thisTurn, stream }, 'emulator request');
    if (authFailed(format, req)) return sendError(reply, format, format.faults.unauthorized);
    const refused = format.rejectRequest?.(view);
    if (refused !== undefined) return sendError(reply, format, refused);
    const last = format.lastMessage(view);
    const index = pickStep(scenario, state, thisTurn, last);
    if (index === null) {
      const text = last ? `${last.role}: ${last.text.slice(0, 80)}` : 'none';
      return sendError(reply, format, {
        status: 400,
        errorType: 'invalid_request_error',
        message: `sylk-emulator: no scenario step matched request turn ${thisTurn} (last message ${text})`,
      });
    }
    const step = scenario.steps[index];
    entry.matchedStep = index;
    if (step?.name !== undefined) entry.stepName = step.name;
    if (!step) return;
    const fault = step.fault;
    if (fault) {
      const spec = httpErrorSpec(format, fault);
      if (spec) return sendError(reply, format, spec, retryHeaders(format, fault));
    }
    const resolved = resolveReply(scenario, step, format.name, thisTurn, last);
    const ctx = { model: format.model(view), id: `emu${thisTurn}` };
    const pace = {
      delayMs: step.reply?.delayMs ?? scenario.defaults?.delayMs ?? 0,
      eventsPerSecond: step.reply?.eventsPerSecond ?? scenario.defaults?.eventsPerSecond,
      stampMarker: step.reply?.stampMarker,
    };
    if (stream) return streamReply(format, reply, format.streamEvents(resolved, ctx), pace, fault);
    return jsonReply(format, reply, format.jsonBody(resolved, ctx), fault);
  }

  async function jsonReply(
    format: WireFormat,
    reply: FastifyReply,
    body: unknown,
    fault: ScenarioFault | undefined,
  ): Promise<FastifyReply | void> {
    if (fault?.kind === 'stall')
      await wait(fault.ms ?? 24 * 3600_000, AbortSignal.any([closing.signal, abortOnClose(reply.raw)]));
    if (fault?.kind === 'drop') {
      reply.hijack();
      reply.raw.socket?.destroy();
      return;
    }
    if (fault?.kind === 'malformed') {
      return reply.code(200).type('application/json').send(JSON.stringify(body).slice(0, 40));
    }
    if (fault?.kind === 'stream_error')
      return sendError(reply, format, streamErrorSpec(format, { ...fault, status: fault.status ?? 500 }));
    if (reply.raw.destroyed) return;
    return reply.code(200).type('application/json').send(body);
  }

  async function streamReply(
    format: WireFormat,
    reply: FastifyReply,
    frames: Iterable<string>,
    pace: Pace,
    fault: ScenarioFault | undefined,
  ): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.on('error', () => undefined);
    const gone = AbortSignal.any([closing.signal, abortOnClose(raw)]);
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': 'req_emulator',
    });
    const streamFault =
      fault && ['stream_error', 'drop', 'malformed', 'stall', 'keepalive'].includes(fault.kind) ? fault : undefined;
    // The fault comes after this many frames, if the reply is longer than that.
    const cut = streamFault
      ? (streamFault.afterChunks ?? (streamFault.kind === 'keepalive' ? KEEPALIVE_AFTER_CHUNKS : DEFAULT_AFTER_CHUNKS))
      : Infinity;
    const started = performance.now();
    const dueAt = (i: number) =>
      pace.eventsPerSecond === undefined ? started : started + (i * 1000) / pace.eventsPerSecond;
    // Frames are made as they are sent: a long reply's tens of thousands of frames never all sit
    // in memory, where they would outlive young-generation collections for the whole stream.
    const source = frames[Symbol.iterator]();
    let next = source.next(); // the first frame not yet written
    for (let i = 0; next.done !== true;) {
      if (i === cut && streamFault) {
        // Let the client read what came before, so the fault arrives as its own chunk.
        await wait(20, gone);
        if (streamFault.kind === 'drop') return void raw.socket?.destroy();
        if (streamFault.kind === 'malformed') {
          await writeAndFlush(raw, format.malformedEvent());
          return void raw.end();
        }
        if (streamFault.kind === 'stream_error') {
          await writeAndFlush(raw, format.streamError(streamErrorSpec(format, streamFault)));
          return void raw.end();
        }
        if (streamFault.kind === 'keepalive') await keepAlive(raw, KEEPALIVE[format.name], streamFault, gone);
        else await wait(streamFault.ms ?? 24 * 3600_000, gone);
      }
      if (gone.aborted) return void raw.destroy();
      if (pace.delayMs > 0) await wait(pace.delayMs, gone);
      const ahead = dueAt(i) - performance.now();
      if (ahead >= 1) await wait(ahead, gone);
      // Without a per-event delay, every frame due by now (up to the fault, at most MAX_WRITE
      // bytes) goes out in one write, as a server under load sends them: one syscall per event
      // made the emulator a CPU hog next to the client under test.
      const batch = [next.value];
      let bytes = next.value.length;
      next = source.next();
      let end = i + 1;
      if (pace.delayMs === 0) {
        const now = performance.now() + 1;
        while (next.done !== true && end < cut && bytes < MAX_WRITE && dueAt(end) <= now) {
          batch.push(next.value);
          bytes += next.value.length;
          next = source.next();
          end++;
        }
      }
      await writeAndFlush(raw, stamped(batch.length === 1 ? (batch[0] as string) : batch.join(''), pace.stampMarker));
      i = end;
    }
    // A gateway that keeps the connection open after the final event.
    if (fault?.kind === 'hold_open') await wait(fault.ms ?? 24 * 3600_000, gone);
    if (gone.aborted) return void raw.destroy();
    raw.end();
  }

  for (const [path, format] of [
    ['/v1/messages', anthropicFormat],
    ['/v1/responses', openaiResponsesFormat],
    ['/v1/chat/completions', openaiChatFormat],
  ] as const) {
    app.post(path, (req, reply) => handleModelCall(format, req, reply, (req.body ?? {}) as Obj));
  }

  // Gemini: @google/genai 3 calls the stable `v1`, older clients and raw callers `v1beta`.
  const geminiModelCall = (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> | FastifyReply => {
    const target = (req.params as Obj)['*'];
    const [model, action] = String(target).split(':');
    if (action !== 'generateContent' && action !== 'streamGenerateContent') {
      record(req, {});
      return sendError(reply, geminiFormat, {
        status: 404,
        errorType: 'NOT_FOUND',
        message: `sylk-emulator: unsupported action ${String(action)}`,
      });
    }
    const view = { ...((req.body ?? {}) as Obj), __model: model, __stream: action === 'streamGenerateContent' };
    return handleModelCall(geminiFormat, req, reply, view);
  };
  app.post('/v1beta/models/*', geminiModelCall);
  app.post('/v1/models/*', geminiModelCall);

  // Model lists: what the SDKs' health checks call. One shape serves Anthropic and OpenAI clients.
  const models = ['claude-sonnet-5-5', 'claude-sonnet-4-5-20250901', 'gpt-5.2-codex', 'gemini-3-pro-preview'];
  // One path, three clients: Gemini sends x-goog-api-key, Anthropic an anthropic-version (its key
  // as x-api-key or, from SDK 1, a bearer token), OpenAI a bearer token alone.
  app.get('/v1/models', (req, reply) => {
    if (req.headers['x-goog-api-key'] !== undefined) return geminiModels(req, reply);
    record(req, {});
    const anthropic = req.headers['x-api-key'] !== undefined || req.headers['anthropic-version'] !== undefined;
    const format = anthropic ? anthropicFormat : openaiChatFormat;
    if (authFailed(format, req)) return sendError(reply, format, format.faults.unauthorized);
    const data = models.map((id) => ({
      id,
      type: 'model',
      object: 'model',
      display_name: id,
      created_at: '2025-01-01T00:00:00Z',
      created: 1_735_689_600,
      owned_by: 'sylk-emulator',
    }));
    return reply.send({
      object: 'list',
      data,
      has_more: false,
      first_id: models[0],
      last_id: models[models.length - 1],
    });
  });
  const geminiModels = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    record(req, {});
    if (authFailed(geminiFormat, req)) return sendError(reply, geminiFormat, geminiFormat.faults.unauthorized);
    return reply.send({
      models: models.map((id) => ({
        name: `models/${id}`,
        displayName: id,
        inputTokenLimit: 1_000_000,
        outputTokenLimit: 64_000,
        supportedGenerationMethods: ['generateContent'],
      })),
    });
  };
  app.get('/v1beta/models', geminiModels);

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const url = address.replace(/\/$/, '');
  logger.info({ url, scenario: scenario.name }, 'sylk-emulator listening');

  return {
    url,
    requests: () => recorded.map((r) => ({ ...r })),
    reset() {
      recorded = [];
      turn = 0;
      state = { uses: [] };
    },
    setScenario(next) {
      scenario = validateScenario(next);
      turn = 0;
      state = { uses: [] };
    },
    async close() {
      closing.abort();
      await app.close();
    },
  };
}

/** Keep-alives every `intervalMs` for `ms` (default: until the client goes away); silence where the format has none. */
async function keepAlive(
  raw: ServerResponse,
  frame: string | undefined,
  fault: ScenarioFault,
  gone: AbortSignal,
): Promise<void> {
  const until = performance.now() + (fault.ms ?? 24 * 3600_000);
  while (!gone.aborted && performance.now() < until) {
    await wait(Math.min(fault.intervalMs ?? 1000, until - performance.now()), gone);
    if (frame !== undefined && !gone.aborted && performance.now() < until) await writeAndFlush(raw, frame);
  }
}

function abortOnClose(raw: ServerResponse): AbortSignal {
  const controller = new AbortController();
  // 'close' on the response fires when the client disconnects or the response ends.
  raw.once('close', () => controller.abort());
  return controller.signal;
}
