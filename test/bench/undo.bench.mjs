// Turn snapshots and undo (packages/tools SnapshotStore, the code sylkd runs at every turn's start
// and end): a 10,000-file project (100 directories × 100 files, with a .gitignore'd build dir).
// `snapshot_p50_ms`: one snapshot with nothing changed (what every turn pays twice), median of 30.
// Target ≤ 50 ms. Also reported: the first snapshot of the project (once per project), a snapshot
// after a 100-file turn, and `undo_100_files_ms`: reverting a turn that changed 100 files (50
// edited, 25 created, 25 deleted), checked file by file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, percentile, round } from './stats.mjs';
import { loadDist } from './lib/sylkd.mjs';

const DIRS = 100;
const PER_DIR = 100;
const RUNS = 30;
const { SnapshotStore } = await loadDist('packages/tools/dist/index.js');

const fileText = (d, f) => `// module ${d}/${f}\nexport const value${f} = ${d * PER_DIR + f};\n`;

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

export default async function undoBench() {
  const base = mkdtempSync(join(tmpdir(), 'sylk-undo-bench-'));
  try {
    const project = join(base, 'project');
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(project, `pkg${d}`, 'src'), { recursive: true });
      for (let f = 0; f < PER_DIR; f++) writeFileSync(join(project, `pkg${d}`, 'src', `m${f}.ts`), fileText(d, f));
    }
    mkdirSync(join(project, 'build'));
    for (let f = 0; f < 500; f++) writeFileSync(join(project, 'build', `out${f}.js`), 'ignored\n');
    writeFileSync(join(project, '.gitignore'), 'build/\n');
    const store = new SnapshotStore({ storeRoot: join(base, 'data', 'snapshots'), projectRoot: project });

    const first = await timed(() => store.track());
    // Files written in the same second as the index are "racily clean" for git (compared by content
    // at every scan) until the store refreshes its index, a second later: as between real turns.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const warm = await store.track();
    if (warm.tree !== first.value.tree) throw new Error('an unchanged project gave a different tree');
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, value } = await timed(() => store.track());
      if (value.tree !== first.value.tree) throw new Error('an unchanged project gave a different tree');
      times.push(ms);
    }

    // A 100-file turn: 50 edits, 25 new files, 25 deletions.
    const before = await store.track();
    for (let i = 0; i < 50; i++) writeFileSync(join(project, `pkg${i}`, 'src', 'm0.ts'), `edited ${i}\n`);
    for (let i = 0; i < 25; i++) writeFileSync(join(project, `pkg${i}`, 'src', 'created.ts'), `new ${i}\n`);
    for (let i = 0; i < 25; i++) unlinkSync(join(project, `pkg${50 + i}`, 'src', 'm1.ts'));
    const after = await timed(() => store.track());
    const undo = await timed(() => store.revert(before, [{ before: before.tree, after: after.value.tree }]));
    const r = undo.value;
    if (r.restored.length !== 100 || r.kept.length !== 0)
      throw new Error(`undo restored ${r.restored.length} files, kept ${r.kept.length}`);
    for (let i = 0; i < 50; i++)
      if (readFileSync(join(project, `pkg${i}`, 'src', 'm0.ts'), 'utf8') !== fileText(i, 0))
        throw new Error(`pkg${i}/src/m0.ts not restored`);
    for (let i = 0; i < 25; i++)
      if (existsSync(join(project, `pkg${i}`, 'src', 'created.ts')))
        throw new Error(`pkg${i}/src/created.ts not deleted`);
    for (let i = 0; i < 25; i++)
      if (readFileSync(join(project, `pkg${50 + i}`, 'src', 'm1.ts'), 'utf8') !== fileText(50 + i, 1))
        throw new Error(`pkg${50 + i}/src/m1.ts not restored`);
    const afterUndo = await timed(() => store.track());
    if (afterUndo.value.tree !== before.tree) throw new Error('after undo the project differs from before the turn');

    const p50 = median(times);
    const metrics = {
      files: DIRS * PER_DIR,
      snapshot_p50_ms: round(p50, 1),
      snapshot_p95_ms: round(percentile(times, 95), 1),
      first_snapshot_ms: round(first.ms, 0),
      snapshot_after_100_file_turn_ms: round(after.ms, 1),
      undo_100_files_ms: round(undo.ms, 1),
      snapshot_after_undo_ms: round(afterUndo.ms, 1),
    };
    const targets = { snapshot_p50_ms: 50 };
    const met = p50 <= targets.snapshot_p50_ms;
    const summary =
      `${metrics.files} files: unchanged snapshot p50 ${metrics.snapshot_p50_ms} ms (p95 ${metrics.snapshot_p95_ms}; first ${metrics.first_snapshot_ms} ms), ` +
      `after a 100-file turn ${metrics.snapshot_after_100_file_turn_ms} ms, ` +
      `undo of it ${metrics.undo_100_files_ms} ms ` +
      `(target p50 ≤ 50 ms: ${met ? 'met' : 'NOT met'})`;
    return { summary, metrics, targets, met };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
