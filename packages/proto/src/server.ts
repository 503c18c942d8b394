import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type {
  Metadata,
  sendUnaryData,
  Server,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { toStatus } from './errors.js';
import { decoder, encoder } from './codec.js';
import { useNodeTextEncoding } from './text-encoding.js';

useNodeTextEncoding();

/** What a handler knows about its call besides the request. */
export interface CallContext {
  metadata: Metadata;
  /** Aborts when the client cancels, disconnects or the deadline passes. */
  signal: AbortSignal;
  peer: string;
}

type In<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageInitShape<O> : never;

type Handler<M> = M extends { methodKind: 'unary' }
  ? (request: In<M>, ctx: CallContext) => Promise<Out<M>> | Out<M>
  : M extends { methodKind: 'server_streaming' }
    ? (request: In<M>, ctx: CallContext) => AsyncIterable<Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => Promise<Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => AsyncIterable<Out<M>>
        : never;

/** A typed implementation of a generated service: one handler per method. */
export type ServiceImpl<T extends GenServiceMethods> = { [K in keyof T]: Handler<T[K]> };

/** grpc-js service definition built from a protobuf-es descriptor: no hand-written serializers. */
function serviceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methods) {
    def[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: encoder(method.input),
      requestDeserialize: decoder(method.input),
      responseSerialize: encoder(method.output),
      responseDeserialize: decoder(method.output),
      originalName: method.name,
    };
  }
  return def as ServiceDefinition;
}

type AnyCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

function contextFor(anyCall: AnyCall): CallContext {
  const call = anyCall as ServerUnaryCall<unknown, unknown>;
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('call cancelled by client')));
  (call as unknown as NodeJS.EventEmitter).on('close', () => controller.abort(new Error('call closed')));
  return { metadata: call.metadata, signal: controller.signal, peer: call.getPeer() };
}

/** Pipe an async iterable of responses into a writable call, honouring backpressure. */
async function writeAll(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  responses: AsyncIterable<unknown>,
  signal: AbortSignal,
) {
  for await (const message of responses) {
    if (signal.aborted) break;
    if (!call.write(message)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          call.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        call.on('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}

/**
 * Ends a streaming call with the handler's error as its status, after the messages already
 * written. grpc-js takes a stream's status from an `error` event (its maintainers' documented
 * way); `destroy(err)` would drop the buffered messages and never send a status, leaving the
 * client waiting for ever.
 */
function failStream(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  err: unknown,
  redact?: Redact,
): void {
  call.emit('error', toStatus(err, redact));
}

/**
 * The client's messages for a handler to iterate. A handler that stops iterating (returns,
 * breaks or throws) must not destroy the call, as a stream's own iterator would: the call still
 * has to send the handler's status, or its error, to the client.
 */
function requestsOf(
  call: ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
): AsyncIterable<unknown> {
  return { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) as AsyncIterator<unknown> };
}

function wrap(
  method: DescMethod,
  handler: (...args: never[]) => unknown,
  redact?: Redact,
): UntypedServiceImplementation[string] {
  const invoke = handler as (...args: unknown[]) => unknown;
  switch (method.methodKind) {
    case 'unary':
      return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const ctx = contextFor(call);
        Promise.resolve()
          .then(() => invoke(call.request, ctx))
          .then(
            (response) => callback(null, response),
            (err: unknown) => callback(toStatus(err, redact)),
          );
      };
    case 'server_streaming':
      return (call: ServerWritableStream<unknown, unknown>) => {
        const ctx = contextFor(call);
        writeAll(call, invoke(call.request, ctx) as AsyncIterable<unknown>, ctx.signal).then(
          () => call.end(),
          (err: unknown) => failStream(call, err, redact),
        );
      };
    case 'client_streaming':
      return ((call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const ctx = contextFor(call);
        Promise.resolve()
          .then(() => invoke(requestsOf(call), ctx))
          .then(
            (response) => callback(null, response),
            (err: unknown) => callback(toStatus(err, redact)),
          );
      }) as UntypedServiceImplementation[string];
    case 'bidi_streaming':
      return (call: ServerDuplexStream<unknown, unknown>) => {
        const ctx = contextFor(call);
        writeAll(call, invoke(requestsOf(call), ctx) as AsyncIterable<unknown>, ctx.signal).then(
          () => call.end(),
          (err: unknown) => failStream(call, err, redact),
        );
      };
  }
}

type Redact = (text: string) => string;

export interface AddServiceOptions {
  /** Known-secret redaction of every error message and hint the service answers with. */
  redact?: Redact;
}

/** Register a typed implementation of a generated service on a grpc-js server. */
export function addService<T extends GenServiceMethods>(
  server: Server,
  service: GenService<T>,
  impl: ServiceImpl<T>,
  options: AddServiceOptions = {},
): void {
  const handlers: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = (impl as Record<string, (...args: never[]) => unknown>)[method.localName];
    if (handler === undefined) throw new Error(`${service.typeName}: no handler for ${method.name}`);
    handlers[method.localName] = wrap(method, handler.bind(impl), options.redact);
  }
  server.addService(serviceDefinition(service), handlers);
}
