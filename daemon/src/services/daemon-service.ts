import { ErrorTier, PROTOCOL_MAJOR, SylkError, VERSION, compareVersions } from '@sylk/core';
import type { DaemonService } from '@sylk/proto';
import { DaemonState, type ServiceImpl } from '@sylk/proto';
import type { Daemon } from '../daemon.js';
import { configSummary } from './config-summary.js';
import { topSnapshot } from './top.js';
import { metricsResponse } from './metrics.js';
import { sandboxSummary } from './sandbox-service.js';
import type { BackupInfo } from '@sylk/storage';
import type { ManagedDatabase } from '../storage-guard.js';

function backupFile({ database, backup }: { database: ManagedDatabase; backup: BackupInfo }) {
  return {
    database: database.name,
    path: backup.path,
    bytes: BigInt(backup.bytes),
    createdAtUnixMs: BigInt(backup.createdAt),
    schemaVersion: backup.schemaVersion,
  };
}

type Methods = typeof DaemonService extends { method: infer M } ? M : never;

/** How long Status waits for the sandbox line: it answers whatever the sandbox probe does. */
const SANDBOX_WAIT_MS = 500;

/**
 * The sandbox in brief, or nothing when it fails or is not known within SANDBOX_WAIT_MS.
 * @internal exported for tests
 */
export async function sandboxBrief(daemon: Daemon): Promise<Awaited<ReturnType<typeof sandboxSummary>> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), SANDBOX_WAIT_MS);
  });
  try {
    return await Promise.race([sandboxSummary(daemon.sandbox).catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function daemonServiceImpl(daemon: Daemon): ServiceImpl<Methods> {
  return {
    hello(req) {
      const compatible = req.protocolMajor === PROTOCOL_MAJOR;
      let message = '';
      if (!compatible) {
        message =
          `protocol mismatch: ${req.clientName || 'client'} ${req.clientVersion} speaks v${req.protocolMajor}, ` +
          `sylkd ${VERSION} speaks v${PROTOCOL_MAJOR}; ` +
          `run \`sylk daemon restart\` to start a matching daemon`;
      } else if (compareVersions(req.clientVersion, VERSION) > 0) {
        message = `${req.clientName || 'client'} ${req.clientVersion} is newer than the running sylkd ${VERSION}; run \`sylk daemon restart\` to upgrade it`;
      }
      return { daemonVersion: VERSION, protocolMajor: PROTOCOL_MAJOR, pid: process.pid, compatible, message };
    },

    async status() {
      const sandbox = await sandboxBrief(daemon);
      const mem = process.memoryUsage();
      const loaded = daemon.config.current();
      return {
        version: VERSION,
        protocolMajor: PROTOCOL_MAJOR,
        pid: process.pid,
        state: daemon.state,
        startedAtUnixMs: BigInt(daemon.startedAt),
        uptimeSeconds: (daemon.clock.now() - daemon.startedAt) / 1000,
        socketPath: daemon.socketPath,
        directories: { ...daemon.dirs },
        config: configSummary(loaded, daemon.reloadCount),
        storage: {
          systemDbPath: daemon.db.path,
          schemaVersion: daemon.db.schemaVersion(),
          journalMode: daemon.db.journalMode(),
          ...storageState(daemon),
        },
        rssBytes: BigInt(mem.rss),
        heapUsedBytes: BigInt(mem.heapUsed),
        components: [
          {
            name: 'config',
            state: loaded.warnings.length === 0 ? 'ok' : 'warnings',
            detail: `${loaded.warnings.length} warning(s)`,
          },
          { name: 'storage', state: 'ok', detail: `system.db schema v${daemon.db.schemaVersion()}` },
          ...daemon.llm.components(),
          daemon.sessions.component(),
          daemon.audit.component(),
          daemon.storage.component(),
          ...daemon.pressure.components(),
          ...(daemon.recoveredFromCrash
            ? [{ name: 'recovery', state: 'recovered', detail: 'previous daemon stopped uncleanly' }]
            : []),
        ],
        nodeVersion: process.version,
        logFile: daemon.logFile,
        sandbox,
      };
    },

    shutdown(req) {
      // Answer first, then stop: the caller learns the request was accepted.
      setImmediate(() => {
        void daemon.shutdown(req.reason || 'Shutdown RPC').then(() => process.exit(0));
      });
      return { accepted: daemon.state !== DaemonState.STOPPING, pid: process.pid };
    },

    async backupNow() {
      return { backups: (await daemon.storage.backupNow()).map(backupFile) };
    },

    listBackups() {
      return { backups: daemon.storage.backups().map(backupFile) };
    },

    async checkStorage(req) {
      const results = await daemon.storage.check(req.full ? 'full' : 'quick');
      return {
        databases: results.map((r) => ({
          database: r.database.name,
          path: r.database.path,
          problems: r.problems,
          action: r.action,
        })),
      };
    },

    async restoreBackup(req) {
      const busy = daemon.sessions.registry
        .list()
        .filter((s) => s.state === 'running' || s.state === 'waiting_approval');
      if (busy.length > 0) {
        throw new SylkError(`${busy.length} session(s) have a turn running (${busy.map((s) => s.name).join(', ')})`, {
          code: 'storage.restore_busy',
          tier: ErrorTier.UserFixable,
          hint: 'Wait for the turns to finish or pause them (`sylk pause <session>`), then run `sylk restore` again.',
        });
      }
      const database = await daemon.storage.stageRestore(req.backup);
      return { database: database.name, restartRequired: true };
    },

    top() {
      return topSnapshot(daemon);
    },

    metrics(req) {
      // One snapshot for both shapes: the table and the text show the same samples.
      return metricsResponse(daemon.metrics.snapshot(), req.prometheus, daemon.clock.now());
    },

    reloadConfig() {
      const { changed } = daemon.reloadConfig('ReloadConfig RPC');
      return { changed, config: configSummary(daemon.config.current(), daemon.reloadCount) };
    },

    async startWeb() {
      return daemon.web.start();
    },

    async stopWeb() {
      return { stopped: await daemon.web.stop() };
    },
  };
}

function storageState(daemon: Daemon) {
  const s = daemon.storage.summary();
  return {
    lastBackupUnixMs: BigInt(s.lastBackupAt),
    lastCheckUnixMs: BigInt(s.lastCheckAt),
    integrity: s.integrity,
    problems: s.problems,
    restores: s.restores,
    backupDir: daemon.dirs.backups,
  };
}
