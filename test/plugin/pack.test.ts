// `npm run plugin:pack`: the krew release of kubectl llama — the single-file executable runs, the
// archive holds it, and the manifest names the archive with its true SHA-256.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pack } from '../../plugin/krew/pack.js';

describe('plugin:pack (the krew release)', () => {
  it('builds an archive whose kubectl-llama runs, and a manifest with its URI and SHA-256', async () => {
    const { archive, manifest, sha256 } = await pack('https://releases.example/v1/');
    expect(createHash('sha256').update(readFileSync(archive)).digest('hex')).toBe(sha256);
    const plugin = parse(readFileSync(manifest, 'utf8')) as {
      kind: string;
      metadata: { name: string };
      spec: { version: string; platforms: { uri: string; sha256: string; bin: string }[] };
    };
    expect(plugin.kind).toBe('Plugin');
    expect(plugin.metadata.name).toBe('llama');
    expect(plugin.spec.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(plugin.spec.platforms).toEqual([
      expect.objectContaining({
        uri: 'https://releases.example/v1/kubectl-llama.tar.gz',
        sha256,
        bin: 'kubectl-llama',
      }),
    ]);
    // What krew unpacks: one executable, which runs on its own (no node_modules next to it).
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-llama-pack-'));
    try {
      execFileSync('tar', ['-xzf', archive, '-C', dir]);
      const help = execFileSync(join(dir, 'kubectl-llama'), ['--help'], { encoding: 'utf8' });
      expect(help).toMatch(/^Usage: kubectl llama \[options\] \[command\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Same sources, same archive.
    expect((await pack('https://releases.example/v1')).sha256).toBe(sha256);
  });
});
