import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { leftBehind } from './cgroup.js';

describe('pids cgroups left behind', () => {
  it('are only those of a daemon that is gone: a live sylkd keeps its empty groups for reuse', () => {
    const gone = spawnSync('true').pid as number;
    expect(leftBehind(`cmd-${gone}-3`)).toBe(true);
    expect(leftBehind(`cmd-${process.pid}-1`)).toBe(false);
    expect(leftBehind(`cmd-${process.ppid}-7`)).toBe(false);
    expect(leftBehind('cmd-x-1')).toBe(false);
    expect(leftBehind('other')).toBe(false);
  });
});
