/** Product version, shared by sylkd and sylk so each can tell the other's. */
export const VERSION = '0.1.0';
/** Bumped on any incompatible change to proto/sylk/v1; client and daemon must agree. */
export const PROTOCOL_MAJOR = 1;
