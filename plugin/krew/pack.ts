// `npm run plugin:pack [-- --base-url URL]`: the krew release of kubectl llama in dist/plugin-release/:
// kubectl-llama (one executable ESM file, every dependency inlined; it needs node on PATH),
// kubectl-llama.tar.gz holding it, and llama.yaml, this folder's manifest with the archive's URI
// and SHA-256 filled in.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../images/bundle.js';

const ROOT = join(import.meta.dirname, '..', '..');
export const RELEASE_DIR = join(ROOT, 'dist', 'plugin-release');
const EXECUTABLE = 'kubectl-llama';
const ARCHIVE = `${EXECUTABLE}.tar.gz`;

/** The manifest template with `{{VERSION}}`, `{{URI}}` and `{{SHA256}}` replaced. */
export function fillManifest(
  template: string,
  values: { version: string; uri: string; sha256: string },
): string {
  return template
    .replaceAll('{{VERSION}}', values.version)
    .replaceAll('{{URI}}', values.uri)
    .replaceAll('{{SHA256}}', values.sha256);
}

export async function pack(baseUrl: string): Promise<{ archive: string; manifest: string; sha256: string }> {
  mkdirSync(RELEASE_DIR, { recursive: true });
  const executable = join(RELEASE_DIR, EXECUTABLE);
  await build({
    ...BUNDLE_OPTIONS,
    // Nothing native in the plugin: everything inlined.
    external: [],
    entryPoints: [join(ROOT, 'plugin', 'main.ts')],
    outfile: executable,
  });
  chmodSync(executable, 0o755);
  const archive = join(RELEASE_DIR, ARCHIVE);
  // Fixed owner and time, so the same sources give the same archive (and SHA-256).
  execFileSync('tar', [
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '--use-compress-program=gzip -n',
    '-cf',
    archive,
    '-C',
    RELEASE_DIR,
    EXECUTABLE,
  ]);
  const sha256 = createHash('sha256').update(readFileSync(archive)).digest('hex');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const template = readFileSync(join(ROOT, 'plugin', 'krew', 'llama.yaml'), 'utf8');
  const manifest = join(RELEASE_DIR, 'llama.yaml');
  writeFileSync(
    manifest,
    fillManifest(template, { version, uri: `${baseUrl.replace(/\/+$/, '')}/${ARCHIVE}`, sha256 }),
  );
  return { archive, manifest, sha256 };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { 'base-url': { type: 'string' } } });
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const baseUrl =
    values['base-url'] ?? `https://github.com/kubellama/kubellama/releases/download/v${version}`;
  const result = await pack(baseUrl);
  console.log(`wrote ${result.archive} (sha256 ${result.sha256}) and ${result.manifest}`);
}
