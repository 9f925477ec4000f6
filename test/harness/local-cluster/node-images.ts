// Images for the local cluster without any registry: built with the harness's podman, saved as
// docker archives (cached by image ID, so a second cluster imports without saving again) and
// imported into containerd's k8s.io namespace with ctr. Every name is under `localhost/`, so if
// anything ever tried to pull one, the request would only reach loopback.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS } from '../../tools/catalog.js';
import { runOk } from '../exec.js';
import { imageExists, podman } from '../podman.js';
import { makeWorkDir, removeWorkDir } from '../workdir.js';
import { nodeBinary } from './binaries.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function shortHash(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 12);
}

async function buildFromScratch(
  ref: string,
  files: Readonly<Record<string, string>>,
  containerfile: string,
): Promise<string> {
  if (await imageExists(ref)) return ref;
  const dir = makeWorkDir('node-image');
  try {
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(dir, name));
    writeFileSync(join(dir, 'Containerfile'), containerfile);
    await podman(['build', '--network=none', '-q', '-t', ref, dir]);
    return ref;
  } finally {
    removeWorkDir(dir);
  }
}

/** The sandbox ("pause") image: pause/pause.c as a static binary, FROM scratch, tagged by its source hash. */
export async function ensurePauseImage(): Promise<string> {
  const source = join(HERE, 'pause', 'pause.c');
  const ref = `localhost/kubellama-test/pause:3.10-${shortHash(readFileSync(source))}`;
  if (await imageExists(ref)) return ref;
  const dir = makeWorkDir('pause');
  try {
    await runOk('gcc', ['-Os', '-static', '-s', '-o', join(dir, 'pause'), source]);
    return await buildFromScratch(
      ref,
      { pause: join(dir, 'pause') },
      'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n',
    );
  } finally {
    removeWorkDir(dir);
  }
}

/** CoreDNS (the harness's minimal build, no `forward`) FROM scratch, tagged by version and binary hash. */
export async function ensureCorednsImage(): Promise<string> {
  const binary = nodeBinary('coredns');
  // FROM scratch has no dynamic loader: a cgo build would fail with "exec /coredns: no such file".
  if (readFileSync(binary).subarray(0, 4096).includes('ld-linux'))
    throw new Error(`${binary} is dynamically linked; build it with CGO_ENABLED=0`);
  const version = TOOLS.find((tool) => tool.binaries.includes('coredns'))?.version ?? 'dev';
  const ref = `localhost/kubellama-test/coredns:${version}-${shortHash(readFileSync(binary))}`;
  return buildFromScratch(
    ref,
    { coredns: binary },
    'FROM scratch\nCOPY coredns /coredns\nENTRYPOINT ["/coredns"]\n',
  );
}

function archiveCacheDir(): string {
  return join(
    process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
    'kubellama',
    'local-cluster',
    'images',
  );
}

/** A docker archive of podman's `ref`, saved once per image ID. */
export async function imageArchive(ref: string): Promise<string> {
  const id = (await podman(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
  const dir = archiveCacheDir();
  mkdirSync(dir, { recursive: true });
  const slug = ref.replace(/[^A-Za-z0-9._-]+/g, '_');
  const path = join(dir, `${slug}@${id.slice(0, 16)}.tar`);
  if (existsSync(path)) return path;
  // An older build of the same name is no longer needed.
  for (const file of readdirSync(dir))
    if (file.startsWith(`${slug}@`)) rmSync(join(dir, file), { force: true });
  const partial = `${path}.partial-${process.pid}`;
  try {
    await podman(['save', '--format', 'docker-archive', '-o', partial, ref], { timeoutMs: 600_000 });
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
  return path;
}

/** Imports a docker archive into containerd's CRI namespace (unpacked for the overlayfs snapshotter). */
export async function importArchive(containerdSocket: string, archive: string): Promise<void> {
  await runOk(
    nodeBinary('ctr'),
    ['--address', containerdSocket, '--namespace', 'k8s.io', 'images', 'import', '--local', archive],
    { timeoutMs: 600_000 },
  );
}
