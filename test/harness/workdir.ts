import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp folder for one server's data, config and log. */
export function makeWorkDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `kubellama-${name}-`));
}

/** Removes a work folder unless KUBELLAMA_KEEP_HARNESS=1 asks to keep it for a post-mortem. */
export function removeWorkDir(dir: string): void {
  if (process.env.KUBELLAMA_KEEP_HARNESS === '1') return;
  rmSync(dir, { recursive: true, force: true });
}
