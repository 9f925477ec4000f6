// The pull's bounds, without a server: the download watchdog (stalled, truncated over and over),
// the space check against a cache's size limit, and the termination message file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeTerminationMessage } from '../../runtime/cli/termination-message.js';
import { checkSpace, freeBytes } from '../../runtime/pull/disk-space.js';
import { DownloadWatchdog } from '../../runtime/pull/download-watchdog.js';
import { PULL_EXIT, PullError } from '../../runtime/pull/errors.js';

const work = mkdtempSync(join(tmpdir(), 'kubellama-pull-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('DownloadWatchdog', () => {
  afterEach(() => vi.useRealTimers());

  it('stops a download that gets nothing new for stallMs, saying how far it got', () => {
    vi.useFakeTimers();
    const watchdog = new DownloadWatchdog({ stallMs: 10_000, maxRestarts: 5 });
    watchdog.progress(100, 1000);
    vi.advanceTimersByTime(9_000);
    watchdog.progress(200, 1000); // new bytes re-arm it
    vi.advanceTimersByTime(9_000);
    expect(watchdog.signal.aborted).toBe(false);
    watchdog.progress(150, 1000); // a restart that does not get further does not
    vi.advanceTimersByTime(1_000);
    expect(watchdog.signal.aborted).toBe(true);
    const reason = watchdog.signal.reason as PullError;
    expect(reason).toBeInstanceOf(PullError);
    expect(reason.exitCode).toBe(PULL_EXIT.download);
    expect(reason.message).toBe('stalled: got 200 of 1000 bytes, nothing new for 10 s');
  });

  it('stops a server that cuts every response at the same place: truncated after maxRestarts', async () => {
    const watchdog = new DownloadWatchdog({ stallMs: 60_000, maxRestarts: 3 });
    for (let attempt = 0; attempt < 3; attempt++) {
      watchdog.progress(0, 5000);
      watchdog.progress(4000, 5000);
    }
    expect(watchdog.signal.aborted).toBe(false); // the first run is no restart: two so far
    watchdog.progress(1000, 5000);
    expect(watchdog.signal.aborted).toBe(true);
    await expect(watchdog.stopped).rejects.toThrow(
      'truncated: got 4000 of 5000 bytes; the server ended the transfer early 3 times in a row',
    );
    watchdog.dispose();
  });

  it('forgives restarts that get further each time (a flaky link that makes progress)', () => {
    const watchdog = new DownloadWatchdog({ stallMs: 60_000, maxRestarts: 2 });
    for (const furthest of [1000, 2000, 3000, 4000, 5000]) {
      watchdog.progress(0, 5000);
      watchdog.progress(furthest, 5000);
    }
    expect(watchdog.signal.aborted).toBe(false);
    watchdog.dispose();
  });

  it('says "no answer" when not one byte came', () => {
    vi.useFakeTimers();
    const watchdog = new DownloadWatchdog({ stallMs: 5_000, maxRestarts: 5 });
    vi.advanceTimersByTime(5_000);
    expect((watchdog.signal.reason as Error).message).toBe('stalled: no answer, nothing new for 5 s');
  });
});

describe('checkSpace', () => {
  it("refuses a model bigger than the cache's size limit, naming both sizes (exit code 5)", async () => {
    const dir = mkdtempSync(join(work, 'cache-'));
    writeFileSync(join(dir, 'other.bin'), Buffer.alloc(64 * 1024, 1));
    const error = await checkSpace({ dir, modelBytes: 3 * 1024 * 1024, limitBytes: 2 * 1024 * 1024 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PullError);
    expect((error as PullError).exitCode).toBe(PULL_EXIT.noSpace);
    const free = await freeBytes(dir, 2 * 1024 * 1024);
    expect(free).toBeLessThanOrEqual(2 * 1024 * 1024 - 64 * 1024);
    expect((error as PullError).message).toBe(
      `not enough space for the model: it is 3.0 MiB (3145728 bytes), the model cache ${dir} has ` +
        `${(free / 1024 / 1024).toFixed(1)} MiB (${free} bytes) free (its size limit is 2.0 MiB)`,
    );
  });

  it('takes a model that fits, and counts a partial download of it as already there', async () => {
    const dir = mkdtempSync(join(work, 'cache-'));
    await checkSpace({ dir, modelBytes: 1024 * 1024, limitBytes: 2 * 1024 * 1024 });
    writeFileSync(join(dir, 'model.gguf.ipull'), Buffer.alloc(1024 * 1024, 1));
    // 1.5 MiB model, 1 MiB of it on disk, 2 MiB limit: the remaining 0.5 MiB fits.
    const partial = (await import('node:fs')).statSync(join(dir, 'model.gguf.ipull')).blocks * 512;
    await checkSpace({
      dir,
      modelBytes: 1.5 * 1024 * 1024,
      partialBytes: partial,
      limitBytes: 2 * 1024 * 1024,
    });
    // Without a limit, only the filesystem's free space counts: a petabyte does not fit.
    await expect(checkSpace({ dir, modelBytes: 2 ** 50 })).rejects.toThrow(/not enough space/);
  });
});

describe('writeTerminationMessage', () => {
  it('writes the message where the kubelet created the file, and nothing where there is none', () => {
    const path = join(work, 'termination-log');
    expect(writeTerminationMessage('cannot download x: it answered HTTP 500', path)).toBe(false);
    expect(() => readFileSync(path)).toThrow();
    writeFileSync(path, '');
    expect(writeTerminationMessage('  cannot download x: it answered HTTP 500\n', path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('cannot download x: it answered HTTP 500');
  });

  it('keeps within the 4096 bytes the kubelet keeps', () => {
    const path = join(work, 'termination-log-long');
    writeFileSync(path, '');
    writeTerminationMessage('é'.repeat(5000), path);
    const written = readFileSync(path);
    expect(written.length).toBeLessThanOrEqual(4096);
    expect(written.toString('utf8').endsWith('…')).toBe(true);
  });
});
