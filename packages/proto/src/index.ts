export * from './gen/sylk/v1/daemon_pb.js';
export * from './gen/sylk/v1/config_pb.js';
export * from './gen/sylk/v1/usage_pb.js';
export * from './gen/sylk/v1/session_pb.js';
export * from './gen/sylk/v1/security_pb.js';
export * from './gen/sylk/v1/sandbox_pb.js';
export * from './gen/sylk/v1/mcp_pb.js';
export * from './gen/sylk/v1/process_pb.js';
export { addService } from './server.js';
export type { CallContext, ServiceImpl } from './server.js';
export {
  /** @internal exported for tests */ connect,
  /** @internal exported for tests */ createClient,
  unixTarget,
  MAX_MESSAGE_BYTES,
} from './client.js';
export { /** @internal exported for tests */ toEventColumns } from './event-columns.js';
export { protocolGuard, /** @internal exported for tests */ versionStamp } from './handshake.js';
export { fileDescriptorProtos } from './reflection.js';
import { file_sylk_v1_config } from './gen/sylk/v1/config_pb.js';
import { file_sylk_v1_daemon } from './gen/sylk/v1/daemon_pb.js';
import { file_sylk_v1_usage } from './gen/sylk/v1/usage_pb.js';
import { file_sylk_v1_session } from './gen/sylk/v1/session_pb.js';
import { file_sylk_v1_security } from './gen/sylk/v1/security_pb.js';
import { file_sylk_v1_sandbox } from './gen/sylk/v1/sandbox_pb.js';
import { file_sylk_v1_mcp } from './gen/sylk/v1/mcp_pb.js';
import { file_sylk_v1_process } from './gen/sylk/v1/process_pb.js';

/** Every generated file of the daemon API, for server reflection. */
export const ALL_FILES = [
  file_sylk_v1_daemon,
  file_sylk_v1_config,
  file_sylk_v1_usage,
  file_sylk_v1_session,
  file_sylk_v1_security,
  file_sylk_v1_sandbox,
  file_sylk_v1_mcp,
  file_sylk_v1_process,
] as const;
