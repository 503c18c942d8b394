import type { PipelineScheduling } from '../pipelines/scheduling.js';

/** What admission asks of the pressure control (a DaemonPressure). */
export interface PipelineAdmission {
  /** Throws `resources.disk_quota_full` when Sylk's data has reached its disk quota. */
  assertPipelineAdmissible(): void;
  /** While memory pressure admits no new pipeline: the reason a new one is submitted paused. */
  holdReason(): string | undefined;
  /** A pipeline submitted paused for `holdReason()`: resumed with the others when pressure eases. */
  held(pipelineId: string): void;
}

/**
 * The scheduler as sessions submit to it under pressure control: a full disk quota refuses the
 * pipeline before it is submitted (the spawn_task call fails with the error and its fix), and
 * memory pressure submits a new one paused (it never starts) until it eases. `admission` is read at each submit (the
 * pressure control starts after the sessions host).
 */
export function admitUnderPressure(
  scheduler: PipelineScheduling,
  admission: () => PipelineAdmission | undefined,
): PipelineScheduling {
  return {
    assertAdmissible() {
      admission()?.assertPipelineAdmissible();
    },
    submit(spec) {
      const pressure = admission();
      pressure?.assertPipelineAdmissible();
      const pausedReason = pressure?.holdReason();
      scheduler.submit(pausedReason === undefined ? spec : { ...spec, pausedReason });
      if (pausedReason !== undefined) pressure?.held(spec.id);
    },
    cancel: (id, reason) => scheduler.cancel(id, reason),
    onChange: (listener) => scheduler.onChange(listener),
  };
}
