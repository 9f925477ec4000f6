// ARCHITECTURE.md is the map a newcomer reads first: every file or folder it names must exist, or
// the map sends them somewhere that is not there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const ROOMS = ['runtime', 'operator', 'charts', 'crds', 'lib', 'images', 'kind', 'compose', 'test'];
const ROOT_FILES = ['Dockerfile', 'compose.yaml', 'package.json', 'vitest.config.ts', 'README.md'];

/** Every `backticked` token that is a repository path: under a room, or a root file. */
function namedPaths(markdown: string): string[] {
  const tokens = [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string);
  const isPath = (t: string) =>
    ROOT_FILES.includes(t) || ROOMS.some((room) => t === `${room}/` || t.startsWith(`${room}/`));
  // `charts/*-contract.ts` names a family of files: its folder must exist and hold a match.
  return [...new Set(tokens.filter(isPath))];
}

function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(ROOT, path));
  const slash = path.lastIndexOf('/');
  const pattern = new RegExp(
    `^${path
      .slice(slash + 1)
      .replace(/[.]/g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  const dir = join(ROOT, path.slice(0, slash));
  return existsSync(dir) && readdirSync(dir).some((f) => pattern.test(f));
}

describe('ARCHITECTURE.md', () => {
  const paths = namedPaths(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));

  it('names the rooms and the files of one request and one reconcile', () => {
    // A map that names nothing would pass the next check vacuously.
    expect(paths.length).toBeGreaterThan(50);
    for (const room of ['runtime/', 'operator/', 'charts/', 'crds/', 'kind/', 'test/'])
      expect(paths).toContain(room);
  });

  it('names only paths that exist', () => {
    expect(paths.filter((p) => !exists(p))).toEqual([]);
  });
});
