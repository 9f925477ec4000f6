// The test workload image: Debian's static busybox FROM scratch (httpd serving "hello-from-pod" on
// 8080, plus sh, nc, nslookup, sleep for client Pods). Built without RUN steps: the applet links
// are made in the build context, so podman needs no runtime for it.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '../harness/exec.js';
import { imageExists, podman } from '../harness/podman.js';
import { makeWorkDir, removeWorkDir } from '../harness/workdir.js';

export const BUSYBOX = '/bin/busybox';

export async function ensureWebImage(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex').slice(0, 12);
  const ref = `localhost/kubellama-test/web:busybox-${hash}`;
  if (await imageExists(ref)) return ref;
  const dir = makeWorkDir('web-image');
  try {
    const bin = join(dir, 'rootfs', 'bin');
    mkdirSync(bin, { recursive: true });
    mkdirSync(join(dir, 'rootfs', 'www'));
    mkdirSync(join(dir, 'rootfs', 'tmp'));
    copyFileSync(BUSYBOX, join(bin, 'busybox'));
    for (const applet of (await runOk(BUSYBOX, ['--list'])).split('\n').filter(Boolean))
      if (applet !== 'busybox' && !applet.includes('/')) symlinkSync('busybox', join(bin, applet));
    writeFileSync(join(dir, 'rootfs', 'www', 'index.html'), 'hello-from-pod\n');
    writeFileSync(
      join(dir, 'Containerfile'),
      'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/bin/httpd", "-f", "-v", "-p", "8080", "-h", "/www"]\n',
    );
    await podman(['build', '--network=none', '-q', '-t', ref, dir]);
    return ref;
  } finally {
    removeWorkDir(dir);
  }
}
