import type { PipelineScheduling } from '../pipelines/scheduling.js';

/** What admission asks of the pressure control (a DaemonPressure). */
export interface PipelineAdmission {
  /** Throws `resources.disk_quota_full` when Sylk's data has reached its disk quota. */
  assertPipelineAdmissible(): void;
  /** Pauses a just-submitted pipeline while memory pressure admits no new one. */
  holdIfPressed(pipelineId: string): boolean;
}

/**
 * The scheduler as sessions submit to it under pressure control: a full disk quota refuses the
 * pipeline before it is submitted (the spawn_task call fails with the error and its fix), and
 * memory pressure holds a new one paused until it eases. `admission` is read at each submit (the
 * pressure control starts after the sessions host).
 */
export function admitUnderPressure(
  scheduler: PipelineScheduling,
  admission: () => PipelineAdmission | undefined,
): PipelineScheduling {
  return {
    submit(spec) {
      const pressure = admission();
      pressure?.assertPipelineAdmissible();
      scheduler.submit(spec);
      pressure?.holdIfPressed(spec.id);
    },
    cancel: (id, reason) => scheduler.cancel(id, reason),
    onChange: (listener) => scheduler.onChange(listener),
  };
}
