import { PROTOCOL_MAJOR, VERSION, compareVersions } from '@sylk/core';
import type { DaemonService} from '@sylk/proto';
import { DaemonState, type ServiceImpl } from '@sylk/proto';
import type { Daemon } from '../daemon.js';
import { configSummary } from './config-summary.js';

type Methods = typeof DaemonService extends { method: infer M } ? M : never;

export function daemonServiceImpl(daemon: Daemon): ServiceImpl<Methods> {
  return {
    hello(req) {
      const compatible = req.protocolMajor === PROTOCOL_MAJOR;
      let message = '';
      if (!compatible) {
        message = `protocol mismatch: ${req.clientName || 'client'} ${req.clientVersion} speaks v${req.protocolMajor}, sylkd ${VERSION} speaks v${PROTOCOL_MAJOR}; run \`sylk daemon restart\` to start a matching daemon`;
      } else if (compareVersions(req.clientVersion, VERSION) > 0) {
        message = `${req.clientName || 'client'} ${req.clientVersion} is newer than the running sylkd ${VERSION}; run \`sylk daemon restart\` to upgrade it`;
      }
      return { daemonVersion: VERSION, protocolMajor: PROTOCOL_MAJOR, pid: process.pid, compatible, message };
    },

    status() {
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
        },
        rssBytes: BigInt(mem.rss),
        heapUsedBytes: BigInt(mem.heapUsed),
        components: [
          { name: 'config', state: loaded.warnings.length === 0 ? 'ok' : 'warnings', detail: `${loaded.warnings.length} warning(s)` },
          { name: 'storage', state: 'ok', detail: `system.db schema v${daemon.db.schemaVersion()}` },
          ...daemon.llm.components(),
          daemon.audit.component(),
          ...(daemon.recoveredFromCrash ? [{ name: 'recovery', state: 'recovered', detail: 'previous daemon stopped uncleanly' }] : []),
        ],
        nodeVersion: process.version,
        logFile: daemon.logFile,
      };
    },

    shutdown(req) {
      // Answer first, then stop: the caller learns the request was accepted.
      setImmediate(() => {
        void daemon.shutdown(req.reason || 'Shutdown RPC').then(() => process.exit(0));
      });
      return { accepted: daemon.state !== DaemonState.STOPPING, pid: process.pid };
    },

    reloadConfig() {
      const { changed } = daemon.reloadConfig('ReloadConfig RPC');
      return { changed, config: configSummary(daemon.config.current(), daemon.reloadCount) };
    },
  };
}
