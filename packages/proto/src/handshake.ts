/**
 * The version handshake, carried in headers on every call instead of a Hello round trip before
 * the first one: the client names its protocol and version, the daemon refuses a call across a
 * protocol mismatch (before the handler runs) and names its own version in the response headers.
 * `Hello` stays for clients that want the answer as a message (`sylk version`, grpcurl).
 */
import {
  InterceptingCall,
  Metadata,
  ServerInterceptingCall,
  status,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { ErrorTier, PROTOCOL_MAJOR, SylkError, VERSION } from '@sylk/core';
import { toStatus } from './errors.js';

/** Protocol major version, on requests (client) and responses (daemon). */
const PROTOCOL_HEADER = 'sylk-protocol';
/** `name/version` of the sender, e.g. `sylk/0.1.0` or `sylkd/0.1.0`. */
const PEER_HEADER = 'sylk-peer';

export interface PeerVersion {
  name: string;
  version: string;
  protocolMajor: number;
}

function headerOf(metadata: Metadata): PeerVersion | undefined {
  const protocol = metadata.get(PROTOCOL_HEADER)[0];
  if (protocol === undefined) return undefined;
  const [name = 'client', version = '?'] = String(metadata.get(PEER_HEADER)[0] ?? '').split('/');
  return { name, version, protocolMajor: Number(protocol) };
}

/** Who this process is on the wire; tests stand in for other versions. */
export interface Identity {
  version: string;
  protocolMajor: number;
}
const THIS: Identity = { version: VERSION, protocolMajor: PROTOCOL_MAJOR };

function stamp(metadata: Metadata, name: string, me: Identity): void {
  metadata.set(PROTOCOL_HEADER, String(me.protocolMajor));
  metadata.set(PEER_HEADER, `${name}/${me.version}`);
}

/** The refusal a daemon sends a client of another protocol; the CLI maps its code to exit 4. */
function protocolMismatch(client: PeerVersion, daemon: Identity = THIS): SylkError {
  return new SylkError(
    `protocol mismatch: ${client.name} ${client.version} speaks v${client.protocolMajor}, sylkd ${daemon.version} speaks v${daemon.protocolMajor}`,
    {
      code: 'version_mismatch',
      tier: ErrorTier.UserFixable,
      hint: 'run `sylk daemon restart` to start a daemon that matches this sylk',
    },
  );
}

/**
 * Daemon side: calls that name another protocol end with `version_mismatch` before any handler
 * sees them; calls without the header (other tools) pass, and so do the `exempt` method paths
 * (Hello, and Shutdown so that `sylk daemon restart` works across an upgrade). Every response
 * names the daemon.
 */
export function protocolGuard(options: { exempt?: readonly string[]; identity?: Identity } = {}): ServerInterceptor {
  const exempt = new Set(options.exempt ?? []);
  const me = options.identity ?? THIS;
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            const client = headerOf(metadata);
            if (client !== undefined && client.protocolMajor !== me.protocolMajor && !exempt.has(method.path)) {
              const refusal = toStatus(protocolMismatch(client, me));
              call.sendStatus({
                code: refusal.code ?? status.FAILED_PRECONDITION,
                details: refusal.details ?? '',
                metadata: refusal.metadata ?? new Metadata(),
              });
              return;
            }
            forward(metadata);
          },
        });
      },
      sendMetadata(metadata, next) {
        stamp(metadata, 'sylkd', me);
        next(metadata);
      },
    });
}

/**
 * Client side: stamps every call with this client's protocol and version and reports the
 * daemon's version from the first response headers that carry it.
 */
export function versionStamp(
  clientName: string,
  onDaemon: (daemon: PeerVersion) => void,
  identity: Identity = THIS,
): Interceptor {
  let reported = false;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        stamp(metadata, clientName, identity);
        next(metadata, {
          onReceiveMetadata(headers, forward) {
            const daemon = headerOf(headers);
            if (daemon !== undefined && !reported) {
              reported = true;
              onDaemon(daemon);
            }
            forward(headers);
          },
        });
      },
    });
}
