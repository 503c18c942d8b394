import { ErrorTier, SylkError } from '@sylk/core';
import type { PipelineSpec } from './scheduler-types.js';

/**
 * Checks a batch of new pipelines against the known ones: ids unique, every dependency known
 * (submitted before, or in the batch), no cycle. Known pipelines can only depend on known ones,
 * so a cycle lies within the batch.
 */
export function validateBatch(specs: readonly PipelineSpec[], known: (id: string) => boolean): void {
  const batch = new Map<string, PipelineSpec>();
  for (const spec of specs) {
    if (known(spec.id) || batch.has(spec.id))
      throw new SylkError(`pipeline ${spec.id} already exists`, {
        tier: ErrorTier.Permanent,
        code: 'resources.duplicate_pipeline',
        details: { id: spec.id },
        hint: 'Give every pipeline a new id.',
      });
    batch.set(spec.id, spec);
  }
  for (const spec of specs)
    for (const dep of spec.dependsOn ?? [])
      if (!batch.has(dep) && !known(dep))
        throw new SylkError(`pipeline ${spec.id} depends on unknown pipeline ${dep}`, {
          tier: ErrorTier.Permanent,
          code: 'resources.unknown_dependency',
          details: { id: spec.id, dependency: dep },
          hint: 'Depend only on pipelines already spawned (or spawned together with this one).',
        });
  const cycle = findCycle(batch);
  if (cycle !== undefined)
    throw new SylkError(`dependency cycle: ${cycle.join(' → ')}`, {
      tier: ErrorTier.Permanent,
      code: 'resources.dependency_cycle',
      details: { cycle },
      hint: 'Remove one of these dependencies so the pipelines can run in some order.',
    });
}

/** A cycle among the batch's dependencies, as ids ending where it starts; undefined if none. */
function findCycle(batch: ReadonlyMap<string, PipelineSpec>): string[] | undefined {
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'closed') return undefined;
    if (s === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const dep of batch.get(id)?.dependsOn ?? []) {
      if (!batch.has(dep)) continue;
      const found = visit(dep);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(id, 'closed');
    return undefined;
  };
  for (const id of batch.keys()) {
    const found = visit(id);
    if (found !== undefined) return found;
  }
  return undefined;
}
