export * from './gen/sylk/v1/daemon_pb.js';
export * from './gen/sylk/v1/config_pb.js';
export * from './gen/sylk/v1/usage_pb.js';
export * from './gen/sylk/v1/session_pb.js';
export * from './gen/sylk/v1/security_pb.js';
export * from './gen/sylk/v1/mcp_pb.js';
export { file_sylk_v1_daemon } from './gen/sylk/v1/daemon_pb.js';
export { file_sylk_v1_config } from './gen/sylk/v1/config_pb.js';
export { file_sylk_v1_usage } from './gen/sylk/v1/usage_pb.js';
export { addService, serviceDefinition } from './server.js';
export type { AddServiceOptions, CallContext, ServiceImpl } from './server.js';
export { connect, createClient, unixTarget, MAX_MESSAGE_BYTES } from './client.js';
export { attachedEvents, fromEventColumns, toEventColumns, type EventRow } from './event-columns.js';
export { PEER_HEADER, PROTOCOL_HEADER, protocolGuard, protocolMismatch, versionStamp } from './handshake.js';
export type { Identity, PeerVersion } from './handshake.js';
export type { BidiCall, CallOpts, TypedClient } from './client.js';
export { toStatus, fromServiceError } from './errors.js';
export { fileDescriptorProtos } from './reflection.js';
import { file_sylk_v1_config } from './gen/sylk/v1/config_pb.js';
import { file_sylk_v1_daemon } from './gen/sylk/v1/daemon_pb.js';
import { file_sylk_v1_usage } from './gen/sylk/v1/usage_pb.js';
import { file_sylk_v1_session } from './gen/sylk/v1/session_pb.js';
import { file_sylk_v1_security } from './gen/sylk/v1/security_pb.js';
import { file_sylk_v1_mcp } from './gen/sylk/v1/mcp_pb.js';

/** Every generated file of the daemon API, for server reflection. */
export const ALL_FILES = [file_sylk_v1_daemon, file_sylk_v1_config, file_sylk_v1_usage, file_sylk_v1_session, file_sylk_v1_security, file_sylk_v1_mcp] as const;
