/** Product version, shared by sylkd and sylk so each can tell the other's. */
export const VERSION = '0.1.0';
/** Bumped on any incompatible change to proto/sylk/v1; client and daemon must agree. */
export const PROTOCOL_MAJOR = 2;

/** Compare dotted versions numerically; >0 when a is newer. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
