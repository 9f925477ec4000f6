// A Python virtual environment with the OpenAI Python client and LangChain, from PyPI, for the
// tests that prove what Python users see. Made once per requirements.txt (its sha256 names the
// folder) under $XDG_CACHE_HOME/kubellama/python-clients-<hash>/ (~/.cache by default), like the
// tools; a half-made one is never used (it is renamed into place only once pip succeeded).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REQUIREMENTS = join(import.meta.dirname, 'requirements.txt');

export interface PythonVenv {
  /** The venv's python. */
  readonly python: string;
}

/** Why no venv can be made here (no python3, or no venv module), or undefined when one can. */
export async function pythonUnavailable(): Promise<string | undefined> {
  try {
    await run('python3', ['-c', 'import venv, ensurepip'], { timeout: 30_000 });
    return undefined;
  } catch (error) {
    return `python3 with the venv and ensurepip modules is needed (Debian: apt-get install python3-venv): ${(error as Error).message.split('\n')[0]}`;
  }
}

function venvDir(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubellama', `python-clients-${hash}`);
}

/** The cached venv, made first when absent (a minute or two: pip downloads wheels from PyPI). */
export async function pythonVenv(): Promise<PythonVenv> {
  const dir = venvDir();
  const python = join(dir, 'bin', 'python');
  if (existsSync(python)) return { python };
  await mkdir(join(dir, '..'), { recursive: true });
  const tmp = await mkdtemp(`${dir}.partial-`);
  try {
    await run('python3', ['-m', 'venv', tmp], { timeout: 120_000 });
    // --no-deps: requirements.txt pins the whole dependency tree, so nothing unpinned comes in.
    await run(
      join(tmp, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-deps', '-r', REQUIREMENTS],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
    // Only `python` is run from the venv (never its bin/ scripts, whose shebangs name the temporary
    // folder), and python finds its venv from its own location: the rename keeps it working.
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return { python };
}
