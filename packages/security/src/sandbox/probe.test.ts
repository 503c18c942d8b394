import { describe, expect, it } from 'vitest';
import { INSTALL_BWRAP_FIX, probeSandbox, type ProbeDeps } from './probe.js';

function deps(over: Partial<ProbeDeps> & { files?: Record<string, string>; tools?: string[] } = {}): ProbeDeps {
  const tools = over.tools ?? ['bwrap', 'socat', 'prlimit'];
  const files = over.files ?? {};
  return {
    platform: 'linux',
    env: { PATH: '/usr/bin' },
    uid: 1000,
    which: (name) => (tools.includes(name) ? `/usr/bin/${name}` : undefined),
    readFile: (path) => files[path],
    run: async () => ({ code: 0, stderr: '' }),
    ...over,
  };
}

const failing = async () => ({ code: 1, stderr: 'bwrap: setting up uid map: Permission denied\n' });

describe('probeSandbox', () => {
  it('is available when a trial bwrap starts, with the helpers it found', async () => {
    const calls: string[][] = [];
    const probe = await probeSandbox(
      deps({ run: async (file, args) => (calls.push([file, ...args]), { code: 0, stderr: '' }) }),
    );
    expect(probe).toMatchObject({
      available: true,
      backend: 'bubblewrap',
      bwrapPath: '/usr/bin/bwrap',
      socatPath: '/usr/bin/socat',
      prlimitPath: '/usr/bin/prlimit',
      runningAsRoot: false,
    });
    expect(calls[0]?.slice(0, 2)).toEqual(['/usr/bin/bwrap', '--unshare-all']);
    expect(calls[0]?.at(-1)).toBe('true');
  });

  it('names the package to install when bwrap is missing', async () => {
    const probe = await probeSandbox(deps({ tools: ['socat'] }));
    expect(probe).toMatchObject({
      available: false,
      backend: 'none',
      reason: 'bubblewrap (bwrap) is not installed',
      fix: INSTALL_BWRAP_FIX,
    });
    expect(probe.fix).toContain('apt-get install bubblewrap');
  });

  it('gives the exact sysctl when unprivileged user namespaces are disabled', async () => {
    const probe = await probeSandbox(
      deps({ run: failing, files: { '/proc/sys/kernel/unprivileged_userns_clone': '0\n' } }),
    );
    expect(probe.available).toBe(false);
    expect(probe.reason).toContain('kernel.unprivileged_userns_clone = 0');
    expect(probe.reason).toContain('Permission denied');
    expect(probe.fix).toContain('sysctl -w kernel.unprivileged_userns_clone=1');
  });

  it('gives the sysctl when user.max_user_namespaces is 0', async () => {
    const probe = await probeSandbox(deps({ run: failing, files: { '/proc/sys/user/max_user_namespaces': '0' } }));
    expect(probe.fix).toContain('sysctl -w user.max_user_namespaces=');
  });

  it('recognises the Ubuntu 24.04 AppArmor restriction and gives the profile fix', async () => {
    const probe = await probeSandbox(
      deps({
        run: failing,
        files: {
          '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1',
          '/proc/sys/user/max_user_namespaces': '63000',
        },
      }),
    );
    expect(probe.reason).toContain('AppArmor');
    expect(probe.fix).toContain('/etc/apparmor.d/bwrap');
    expect(probe.fix).toContain('userns');
    expect(probe.fix).toContain('kernel.apparmor_restrict_unprivileged_userns=0');
  });

  it("falls back to a generic diagnosis with bwrap's own message", async () => {
    const probe = await probeSandbox(deps({ run: failing }));
    expect(probe.reason).toBe('bubblewrap cannot create a sandbox here: bwrap: setting up uid map: Permission denied');
    expect(probe.fix).toContain('sylk doctor');
  });

  it('uses Seatbelt on macOS and reports Windows as unavailable', async () => {
    expect(await probeSandbox(deps({ platform: 'darwin', tools: ['sandbox-exec'] }))).toMatchObject({
      available: true,
      backend: 'seatbelt',
    });
    const win = await probeSandbox(deps({ platform: 'win32' }));
    expect(win).toMatchObject({ available: false, backend: 'none' });
    expect(win.fix).toContain('security.sandbox.required: false');
  });
});
