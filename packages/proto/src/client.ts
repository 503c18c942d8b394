import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { Client, Metadata, credentials, type CallOptions, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import { fromServiceError } from './errors.js';
import { decoder, encoder } from './codec.js';
import { useNodeTextEncoding } from './text-encoding.js';

useNodeTextEncoding();

interface CallOpts {
  /** Milliseconds until the call's deadline. */
  timeoutMs?: number;
  signal?: AbortSignal;
  metadata?: Record<string, string>;
}

type In<M> = M extends { input: infer I extends DescMessage } ? MessageInitShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> : never;

/** A client-side bidirectional call: send requests, iterate responses. */
export interface BidiCall<I, O> extends AsyncIterable<O> {
  send(message: I): boolean;
  end(): void;
  cancel(): void;
}

type ClientMethod<M> = M extends { methodKind: 'unary' }
  ? (request: In<M>, opts?: CallOpts) => Promise<Out<M>>
  : M extends { methodKind: 'server_streaming' }
    ? (request: In<M>, opts?: CallOpts) => AsyncIterable<Out<M>>
    : M extends { methodKind: 'bidi_streaming' }
      ? (opts?: CallOpts) => BidiCall<In<M>, Out<M>>
      : never;

export type TypedClient<T extends GenServiceMethods> = { [K in keyof T]: ClientMethod<T[K]> };

/** Unix socket target for a path: grpc-js wants `unix:` plus an absolute path. */
export function unixTarget(socketPath: string): string {
  return `unix:${socketPath}`;
}

/**
 * The largest gRPC message either side sends or accepts, the same on both ends (the daemon's
 * server uses it too): a limit that differs makes what one side accepted unreadable to the other.
 * Inputs are bounded well below it (the daemon's args.ts) and Attach splits batches to fit.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** One channel to the daemon; every typed service client shares it. */
export function connect(target: string, options: ClientOptions = {}): Client {
  return new Client(target, credentials.createInsecure(), {
    'grpc.enable_retries': 0,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    ...options,
  });
}

function callOptions(opts: CallOpts | undefined): CallOptions {
  return opts?.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs };
}
function metadataFor(opts: CallOpts | undefined): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(opts?.metadata ?? {})) md.set(k, v);
  return md;
}
function path(service: GenService<GenServiceMethods>, method: DescMethod): string {
  return `/${service.typeName}/${method.name}`;
}

/** Iterate a grpc-js readable, converting a failed status into a SylkError. */
async function* iterate<T>(stream: AsyncIterable<unknown>): AsyncGenerator<T> {
  try {
    for await (const message of stream) yield message as T;
  } catch (err) {
    if (isServiceError(err)) throw fromServiceError(err);
    throw err;
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

/** Build a typed client for a generated service over an existing channel. */
export function createClient<T extends GenServiceMethods>(service: GenService<T>, channel: Client): TypedClient<T> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    const p = path(service as GenService<GenServiceMethods>, method);
    const ser = encoder(method.input);
    const de = decoder(method.output);
    switch (method.methodKind) {
      case 'unary':
        client[method.localName] = (request: MessageInitShape<DescMessage>, opts?: CallOpts) =>
          new Promise((resolve, reject) => {
            const call = channel.makeUnaryRequest(
              p,
              ser,
              de,
              request,
              metadataFor(opts),
              callOptions(opts),
              (err, value) => {
                opts?.signal?.removeEventListener('abort', cancel);
                if (err) reject(fromServiceError(err));
                else resolve(value);
              },
            );
            const cancel = () => call.cancel();
            opts?.signal?.addEventListener('abort', cancel, { once: true });
          });
        break;
      case 'server_streaming':
        client[method.localName] = (request: MessageInitShape<DescMessage>, opts?: CallOpts) => {
          const call = channel.makeServerStreamRequest(p, ser, de, request, metadataFor(opts), callOptions(opts));
          opts?.signal?.addEventListener('abort', () => call.cancel(), { once: true });
          return iterate(call);
        };
        break;
      case 'bidi_streaming':
        client[method.localName] = (opts?: CallOpts) => {
          const call = channel.makeBidiStreamRequest(p, ser, de, metadataFor(opts), callOptions(opts));
          opts?.signal?.addEventListener('abort', () => call.cancel(), { once: true });
          const bidi: BidiCall<unknown, unknown> = {
            send: (message) => call.write(message as Record<string, unknown>),
            end: () => call.end(),
            cancel: () => call.cancel(),
            [Symbol.asyncIterator]: () => iterate<unknown>(call)[Symbol.asyncIterator](),
          };
          return bidi;
        };
        break;
      default:
        throw new Error(`${service.typeName}.${method.name}: ${method.methodKind} calls are not supported`);
    }
  }
  return client as TypedClient<T>;
}
