// podman for the image tests, configured by this harness alone (nothing in /etc is read or touched):
// runc (crun refuses this host's hybrid cgroup hierarchy), no default ulimits (root here lacks
// CAP_SYS_RESOURCE), cgroupfs, file events, and networks from 198.18.0.0/15 (the benchmarking
// range: nothing of ours ever sits in 10.x). Storage lives in the kubellama cache, so the
// stand-in bases and the layer cache survive between runs on one machine.
//
// No base image can be pulled here, so `ensureStandInBases()` makes stand-ins under exactly the
// names the Dockerfile's ARG defaults give: a debootstrap'd Debian bookworm (minbase) for the
// Debian slim base, the same plus the host's node + npm for the node image, and the plain Debian
// one again for the CUDA runtime base (no CUDA libraries: a GPU image here can only fall back).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandError, runCommand } from './exec.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Root of the harness's podman config and storage. */
export function podmanRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubellama', 'podman');
}

/** The subnets podman may give networks (compose projects) here, and its default network's. */
export const PODMAN_SUBNET_POOL = '198.18.128.0/18';
export const PODMAN_DEFAULT_SUBNET = '198.18.127.0/24';

function writeIfChanged(path: string, text: string): void {
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

/** Why the podman suites cannot run here, or undefined when they can. */
export function podmanSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (podman with runc and cgroupfs, as .ci/run sets up)';
  for (const tool of ['podman', 'runc', 'debootstrap'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (.ci/run installs podman, runc and debootstrap)`;
  return undefined;
}

/** The environment every podman call of the harness runs with. */
export function podmanEnv(): NodeJS.ProcessEnv {
  const root = podmanRoot();
  const conf = join(root, 'containers.conf');
  const storage = join(root, 'storage.conf');
  const confText = [
    '[containers]',
    'default_ulimits = []',
    '[engine]',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    'runtime = "runc"',
    '[network]',
    `default_subnet = "${PODMAN_DEFAULT_SUBNET}"`,
    `default_subnet_pools = [{"base" = "${PODMAN_SUBNET_POOL}", "size" = 24}]`,
    '',
  ].join('\n');
  const storageText = [
    '[storage]',
    'driver = "overlay"',
    `runroot = "${join(root, 'run')}"`,
    `graphroot = "${join(root, 'storage')}"`,
    '',
  ].join('\n');
  mkdirSync(root, { recursive: true });
  writeIfChanged(conf, confText);
  writeIfChanged(storage, storageText);
  return { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
}

/**
 * Runs podman to completion (asynchronously, so the test worker stays responsive) with the
 * harness's config; throws `CommandError` on failure. Resolves with stdout, or with stdout then
 * stderr when `mergeStderr` is set (`podman logs` replays a container's stderr on its own stderr).
 */
export async function podman(
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; mergeStderr?: boolean } = {},
): Promise<string> {
  const result = await runCommand('podman', args, {
    env: podmanEnv(),
    input: options.input,
    timeoutMs: options.timeoutMs ?? 900_000,
  });
  if (result.status !== 0) throw new CommandError(['podman', ...args], result);
  return options.mergeStderr ? result.stdout + result.stderr : result.stdout;
}

export async function imageExists(ref: string): Promise<boolean> {
  return podman(['image', 'exists', ref]).then(
    () => true,
    () => false,
  );
}

/** `ARG NAME=default` values of the Dockerfile: the base image names the stand-ins must carry. */
export function dockerfileArgs(dockerfile = join(REPO_ROOT, 'Dockerfile')): Record<string, string> {
  const args: Record<string, string> = {};
  for (const match of readFileSync(dockerfile, 'utf8').matchAll(/^ARG\s+(\w+)=(\S+)\s*$/gm))
    if (match[1] && match[2]) args[match[1]] = match[2];
  return args;
}

function run(cmd: string, args: string[], options: { input?: Buffer } = {}): void {
  const result = spawnSync(cmd, args, { encoding: 'utf8', input: options.input, maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr?.slice(-2000)}`);
}

/** The host's apt mirror, so debootstrap and apt inside the images use what this machine reaches. */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const match = /(?:URIs:\s*|deb\s+)(https?:\/\/\S+\/debian)\b/.exec(readFileSync(file, 'utf8'));
    if (match?.[1]) return match[1];
  }
  return 'http://deb.debian.org/debian';
}

/** Extra CA certificates the host trusts (a TLS-intercepting egress here): baked into the stand-ins. */
function hostExtraCaFiles(): string[] {
  const dir = '/usr/local/share/ca-certificates';
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.crt'))
        .map((f) => join(dir, f))
    : [];
}

/**
 * Makes the stand-in base images (once per machine; `REBUILD_STAND_INS=1` forces it) under the
 * Dockerfile's default names. Returns those names.
 */
export async function ensureStandInBases(log: (line: string) => void = () => undefined): Promise<{
  node: string;
  base: string;
  cuda: string;
}> {
  const args = dockerfileArgs();
  const names = { node: args.NODE_IMAGE, base: args.BASE_IMAGE, cuda: args.CUDA_IMAGE };
  if (!names.node || !names.base || !names.cuda)
    throw new Error('Dockerfile lacks NODE_IMAGE/BASE_IMAGE/CUDA_IMAGE ARG defaults');
  const force = process.env.REBUILD_STAND_INS === '1';
  if (
    !force &&
    (await imageExists(names.node)) &&
    (await imageExists(names.base)) &&
    (await imageExists(names.cuda))
  )
    return names as { node: string; base: string; cuda: string };

  const work = makeWorkDir('stand-in');
  try {
    const rootfs = join(work, 'rootfs');
    log(`debootstrap bookworm (minbase) from ${debianMirror()}`);
    run('debootstrap', [
      '--variant=minbase',
      '--include=ca-certificates',
      'bookworm',
      rootfs,
      debianMirror(),
    ]);
    for (const ca of hostExtraCaFiles()) run('cp', [ca, join(rootfs, 'usr/local/share/ca-certificates/')]);
    run('chroot', [rootfs, 'update-ca-certificates']);
    run('sh', ['-c', `rm -rf ${rootfs}/var/cache/apt/archives/*.deb ${rootfs}/var/lib/apt/lists/*`]);
    const tar = join(work, 'rootfs.tar');
    run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
    const env = [
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["bash"]',
    ];
    await podman(['import', '-q', ...env, tar, names.base]);
    await podman(['tag', names.base, names.cuda]);

    // The node image: node at /usr/local/bin/node and npm, as the official image has them.
    const nodeCtx = join(work, 'node');
    mkdirSync(nodeCtx);
    run('cp', [process.execPath, join(nodeCtx, 'node')]);
    const npmDir = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
    run('cp', ['-a', npmDir, join(nodeCtx, 'npm')]);
    writeFileSync(
      join(nodeCtx, 'Containerfile'),
      [
        `FROM ${names.base}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ["/bin/ln", "-s", "../lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm"]',
        'RUN ["/bin/ln", "-s", "../lib/node_modules/npm/bin/npx-cli.js", "/usr/local/bin/npx"]',
        // Only because of the TLS-intercepting egress here: the official image needs no such line.
        'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    log(`stand-in ${names.node}`);
    await podman(['build', '--network=none', '-q', '-t', names.node, nodeCtx]);
    return names as { node: string; base: string; cuda: string };
  } finally {
    removeWorkDir(work);
  }
}
