import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorTier, SylkError } from '@sylk/core';
import type { ProcessInfo, ProcessService, ServiceImpl } from '@sylk/proto';
import type { BackgroundHandle } from '@sylk/tools';
import { processState, stopByUser } from '../sessions/background-processes.js';
import type { SessionHost } from '../sessions/host.js';
import { boundedArg, echoArg } from './args.js';

type Methods = typeof ProcessService extends { method: infer M } ? M : never;

/** How often a followed process is checked for new output. */
const FOLLOW_POLL_MS = 100;

function info(host: SessionHost, h: BackgroundHandle): ProcessInfo {
  const r = h.result;
  return {
    $typeName: 'sylk.v1.ProcessInfo',
    id: h.id,
    sessionId: h.sessionId,
    sessionName: host.registry.find(h.sessionId)?.name ?? '',
    command: h.command,
    pid: h.pid,
    state: processState(h),
    startedAtMs: BigInt(h.record.startedAt),
    durationMs: BigInt(Math.round(r?.durationMs ?? 0)),
    hasExitCode: r !== undefined && r.exitCode !== null,
    exitCode: r?.exitCode ?? 0,
    signal: r?.signal ?? '',
  };
}

function find(host: SessionHost, id: string): BackgroundHandle {
  const handle = host.backgroundProcesses().find((h) => h.id === boundedArg(id, 'process id'));
  if (handle !== undefined) return handle;
  throw new SylkError(`no background process '${echoArg(id)}'`, {
    code: 'not_found',
    tier: ErrorTier.UserFixable,
    hint: 'Run `sylk ps` for the processes of the loaded sessions.',
  });
}

/** `sylk ps`: the sessions' background processes, their output, and stopping one. */
export function processServiceImpl(host: SessionHost): ServiceImpl<Methods> {
  return {
    listProcesses(req) {
      const sessionId = req.session ? host.registry.get(boundedArg(req.session, 'session id or name')).id : undefined;
      return { processes: host.backgroundProcesses(sessionId).map((h) => info(host, h)) };
    },
    async *readProcessOutput(req, ctx) {
      const handle = find(host, req.id);
      const signal = AbortSignal.any([ctx.signal, host.shutdown.signal]);
      let offset = Number(req.sinceOffset);
      for (;;) {
        const ended = handle.result !== undefined;
        const read = handle.read(offset);
        if (read.text !== '' || ended || !req.follow)
          yield {
            text: read.text,
            nextOffset: BigInt(read.nextOffset),
            truncated: read.truncated,
            ...(ended ? { ended: info(host, handle) } : {}),
          };
        offset = read.nextOffset;
        if (ended || !req.follow) return;
        await Promise.race([handle.exited, sleep(FOLLOW_POLL_MS, undefined, { signal })]).catch(() => undefined);
        if (signal.aborted) return;
      }
    },
    async stopProcess(req) {
      const handle = find(host, req.id);
      if (!handle.running) return { process: info(host, handle), endedBy: 'exit' };
      const report = await stopByUser(handle);
      await handle.exited;
      return { process: info(host, handle), endedBy: report.endedBy };
    },
  };
}
