import { join } from 'node:path';
import { scrubSecrets, type Clock, type Logger } from '@sylk/core';
import type { ConfigStore, SecurityConfig, SylkConfig, SylkDirs } from '@sylk/config';
import {
  AuditLog,
  queryAuditLog,
  verifyAuditLog,
  type AuditDetailValue,
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
  type AuditSink,
  type AuditVerifyReport,
} from '@sylk/security';

export interface DaemonAuditOptions {
  config: ConfigStore;
  dirs: SylkDirs;
  clock: Clock;
  logger: Logger;
  /** Known-secret redaction (the daemon's SecretValues); credential-shaped patterns otherwise. */
  redact?: (text: string) => string;
}

const MB = 1024 * 1024;

function settings(audit: SecurityConfig['audit']): {
  enabled: boolean;
  rotateBytes: number;
  signatureInterval: number;
} {
  return { enabled: audit.enabled, rotateBytes: audit.rotate_mb * MB, signatureInterval: audit.signature_interval };
}

/** Top-level config sections whose values differ (what a reload changed). */
function changedSections(before: SylkConfig, after: SylkConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof SylkConfig>;
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/**
 * The daemon's one audit log under `{state}/audit` (keys in `{state}/audit/keys`), its config
 * (enabled, rotation, signature interval; live on reload) and the sink every component records
 * through. The sink redacts every secret value the daemon knows and anything credential-shaped
 * from targets and detail strings, so a key typed into a command line never reaches the file.
 */
export class DaemonAudit {
  readonly dir: string;
  readonly sink: AuditSink;
  private readonly unsubscribe: () => void;

  private constructor(
    readonly log: AuditLog,
    opts: DaemonAuditOptions,
  ) {
    this.dir = join(opts.dirs.state, 'audit');
    const redact = opts.redact ?? scrubSecrets;
    this.sink = { record: (r) => log.record(scrubRecord(r, redact)) };
    let previous = opts.config.current().config;
    this.unsubscribe = opts.config.onChange((next, reason) => {
      log.reconfigure(settings(next.config.security.audit));
      const sections = changedSections(previous, next.config);
      previous = next.config;
      this.sink.record({
        category: 'config',
        action: 'config_reload',
        target: reason,
        outcome: 'ok',
        details: { sections: sections.join(',') },
      });
    });
  }

  static async open(opts: DaemonAuditOptions): Promise<DaemonAudit> {
    const log = await AuditLog.open({
      dir: join(opts.dirs.state, 'audit'),
      ...settings(opts.config.current().config.security.audit),
      clock: opts.clock,
      logger: opts.logger.child({ component: 'audit' }),
    });
    return new DaemonAudit(log, opts);
  }

  query(q: AuditQuery): AsyncGenerator<AuditEntry> {
    const log = this.log;
    const dir = this.dir;
    // Entries still in the write buffer are flushed first, so a query sees everything recorded.
    return (async function* () {
      await log.flush();
      yield* queryAuditLog(dir, q);
    })();
  }

  /** Verifies with writes held back, and checks that the files reach the writer's last sequence. */
  async verify(): Promise<AuditVerifyReport> {
    await this.log.flush();
    return this.log.exclusive(() =>
      verifyAuditLog({
        dir: this.dir,
        expectLastSeq: this.log.lastSeq,
        signatureInterval: this.log.currentSignatureInterval,
      }),
    );
  }

  /** For `sylk status`. */
  component(): { name: string; state: string; detail: string } {
    const s = this.log.stats();
    if (!s.enabled) return { name: 'audit', state: 'off', detail: 'security.audit.enabled is false' };
    const lost = s.lost > 0 ? `; ${s.lost} lost to write failures (see sylkd log)` : '';
    const signing = s.signing ? '' : '; NOT signed (key unusable, see sylkd log)';
    return {
      name: 'audit',
      state: s.lost > 0 || !s.signing ? 'degraded' : 'ok',
      detail: `${s.lastSeq} entries, ${this.dir}${signing}${lost}`,
    };
  }

  /** Last at shutdown: flushes and writes the final signature. */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.log.close();
  }
}

function scrubRecord(r: AuditRecord, redact: (text: string) => string): AuditRecord {
  const target = redact(r.target);
  let details = r.details;
  if (details !== undefined) {
    const clean: Record<string, AuditDetailValue> = {};
    for (const [k, v] of Object.entries(details)) clean[k] = typeof v === 'string' ? redact(v) : v;
    details = clean;
  }
  return { ...r, target, ...(details !== undefined ? { details } : {}) };
}
