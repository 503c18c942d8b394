import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorTier, SylkError } from '@sylk/core';
import type { ProcessInfo, ProcessService, ServiceImpl } from '@sylk/proto';
import { stopByUser } from '../sessions/background-processes.js';
import { summarize, type ListedProcess, type ProcessSummary } from '../sessions/process-history.js';
import type { SessionHost } from '../sessions/host.js';
import { boundedArg, echoArg } from './args.js';

type Methods = typeof ProcessService extends { method: infer M } ? M : never;

/** How often a followed process is checked for new output. */
const FOLLOW_POLL_MS = 100;

function info(host: SessionHost, p: ProcessSummary): ProcessInfo {
  return {
    $typeName: 'sylk.v1.ProcessInfo',
    id: p.id,
    sessionId: p.sessionId,
    sessionName: host.registry.find(p.sessionId)?.name ?? '',
    command: p.command,
    pid: p.pid,
    state: p.state,
    startedAtMs: BigInt(p.startedAt),
    durationMs: BigInt(p.durationMs),
    hasExitCode: p.exitCode !== null,
    exitCode: p.exitCode ?? 0,
    signal: p.signal ?? '',
  };
}

function find(host: SessionHost, id: string): ListedProcess {
  const wanted = boundedArg(id, 'process id');
  const found = host.processList().find((p) => p.summary.id === wanted);
  if (found !== undefined) return found;
  throw new SylkError(`no background process '${echoArg(id)}'`, {
    code: 'not_found',
    tier: ErrorTier.UserFixable,
    hint: 'Run `sylk ps` for the processes there are.',
  });
}

/**
 * `sylk ps`: the sessions' background processes, their output, and stopping one. A running one is
 * always in a loaded session (it holds its session loaded); an ended one may be in an unloaded
 * session, read from what the session kept (process-history.ts), without loading it.
 */
export function processServiceImpl(host: SessionHost): ServiceImpl<Methods> {
  return {
    listProcesses(req) {
      const sessionId = req.session ? host.registry.get(boundedArg(req.session, 'session id or name')).id : undefined;
      const listed = host.processList(sessionId).map((p) => p.summary);
      // Running first (oldest first), then ended ones newest first, across sessions.
      const running = listed.filter((p) => p.state === 'running').sort((a, b) => a.startedAt - b.startedAt);
      const endedAt = (p: ProcessSummary) => p.startedAt + p.durationMs;
      const ended = listed.filter((p) => p.state !== 'running').sort((a, b) => endedAt(b) - endedAt(a));
      return { processes: [...running, ...ended].map((p) => info(host, p)) };
    },
    async *readProcessOutput(req, ctx) {
      const listed = find(host, req.id);
      const handle = listed.handle;
      let offset = Number(req.sinceOffset);
      if (handle === undefined) {
        const read = await listed.history.read(listed.summary, offset);
        yield { ...read, nextOffset: BigInt(read.nextOffset), ended: info(host, listed.summary) };
        return;
      }
      const signal = AbortSignal.any([ctx.signal, host.shutdown.signal]);
      for (;;) {
        const ended = handle.result !== undefined;
        const read = handle.read(offset);
        if (read.text !== '' || ended || !req.follow)
          yield {
            text: read.text,
            nextOffset: BigInt(read.nextOffset),
            truncated: read.truncated,
            ...(ended ? { ended: info(host, summarize(handle)) } : {}),
          };
        offset = read.nextOffset;
        if (ended || !req.follow) return;
        await Promise.race([handle.exited, sleep(FOLLOW_POLL_MS, undefined, { signal })]).catch(() => undefined);
        if (signal.aborted) return;
      }
    },
    async stopProcess(req) {
      const { summary, handle } = find(host, req.id);
      if (handle === undefined || !handle.running) return { process: info(host, summary), endedBy: 'exit' };
      const report = await stopByUser(handle);
      await handle.exited;
      return { process: info(host, summarize(handle)), endedBy: report.endedBy };
    },
  };
}
