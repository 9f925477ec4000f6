// The pull progress line is a contract (charts/pull-progress-contract.ts): the runtime's printer
// (runtime/cli/pull-progress.ts, what `kubellama-runtime pull` writes without a terminal) and the
// parser the operator reads status.download with must agree. Round trip through the real printer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  lastPullProgress,
  PULL_PROGRESS,
  parsePullProgress,
  pullProgressFields,
} from '../../charts/pull-progress-contract.js';
import { progressLines } from '../../runtime/cli/pull-progress.js';

describe('the runtime prints what the operator parses', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), toFake: ['Date'] });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('round-trips bytes, total and percent, at most one line every 2 s and always the last one', () => {
    const report = progressLines('https://models.example/tiny.gguf');
    report({ downloadedBytes: 0, totalBytes: 4_000_000 });
    report({ downloadedBytes: 1_000, totalBytes: 4_000_000 }); // same instant: not printed
    vi.setSystemTime(Date.now() + 2_000);
    report({ downloadedBytes: 1_999_999, totalBytes: 4_000_000 });
    vi.setSystemTime(Date.now() + 500);
    report({ downloadedBytes: 4_000_000, totalBytes: 4_000_000 }); // done: printed at once
    report({ downloadedBytes: 4_000_000, totalBytes: 4_000_000 }); // and only once
    expect(written).toHaveLength(3);
    expect(written.map((line) => parsePullProgress(line))).toEqual([
      { bytes: 0, totalBytes: 4_000_000, percent: 0 },
      { bytes: 1_999_999, totalBytes: 4_000_000, percent: 49 },
      { bytes: 4_000_000, totalBytes: 4_000_000, percent: 100 },
    ]);
    expect(lastPullProgress(written.join(''))).toEqual({
      bytes: 4_000_000,
      totalBytes: 4_000_000,
      percent: 100,
    });
    for (const line of written)
      expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: PULL_PROGRESS.message });
  });

  it('an unknown size prints percent 0', () => {
    progressLines('hf:owner/repo')({ downloadedBytes: 10, totalBytes: 0 });
    expect(parsePullProgress(written[0] ?? '')).toEqual({ bytes: 10, totalBytes: 0, percent: 0 });
  });
});

describe('parsePullProgress', () => {
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({
      time: '2026-01-01T00:00:00.000Z',
      level: 'info',
      msg: PULL_PROGRESS.message,
      ...fields,
    });

  it('reads a line of the log format', () => {
    expect(parsePullProgress(`${line(pullProgressFields(512, 1024))}\n`)).toEqual({
      bytes: 512,
      totalBytes: 1024,
      percent: 50,
    });
  });

  it.each([
    ['plain text', 'downloading 50%'],
    ['another message', JSON.stringify({ msg: 'pulled', ...pullProgressFields(1, 2) })],
    ['a torn line', line(pullProgressFields(1, 2)).slice(0, 40)],
    ['a missing number', line({ downloadedBytes: 1, totalBytes: 2 })],
    ['a negative count', line({ downloadedBytes: -1, totalBytes: 2, percent: 0 })],
    ['a fraction', line({ downloadedBytes: 1.5, totalBytes: 2, percent: 75 })],
    ['a percent above 100', line({ downloadedBytes: 3, totalBytes: 2, percent: 150 })],
    ['a string number', line({ downloadedBytes: '1', totalBytes: 2, percent: 50 })],
    ['JSON that is not an object', '[1,2]'],
    ['null', 'null'],
    ['an empty line', ''],
  ])('ignores %s', (_what, text) => {
    expect(parsePullProgress(text)).toBeUndefined();
  });

  it('lastPullProgress takes the newest progress line of a tail with other lines in it', () => {
    const tail = [
      line(pullProgressFields(1, 100)),
      line(pullProgressFields(60, 100)),
      JSON.stringify({ level: 'warn', msg: 'retrying a range' }),
      '',
    ].join('\n');
    expect(lastPullProgress(tail)).toEqual({ bytes: 60, totalBytes: 100, percent: 60 });
    expect(lastPullProgress('no progress here\n')).toBeUndefined();
  });

  it('pullProgressFields rounds down and never says 100 before the last byte', () => {
    expect(pullProgressFields(999, 1000)[PULL_PROGRESS.percent]).toBe(99);
    expect(pullProgressFields(1000, 1000)[PULL_PROGRESS.percent]).toBe(100);
    expect(pullProgressFields(5, 0)[PULL_PROGRESS.percent]).toBe(0);
  });
});
