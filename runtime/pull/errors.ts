// What can go wrong pulling a model, each with the exit code an init container reports.

/** Exit codes of `kubellama-runtime pull` (and of `serve` when it pulls). */
export const PULL_EXIT = { ok: 0, failed: 1, usage: 2, download: 3, checksum: 4, noSpace: 5 } as const;

export class PullError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PullError';
    this.exitCode = exitCode;
  }
}

export class ChecksumMismatchError extends PullError {
  readonly expected: string;
  readonly actual: string;

  constructor(path: string, expected: string, actual: string) {
    super(`sha256 mismatch for ${path}: expected ${expected}, got ${actual}`, PULL_EXIT.checksum);
    this.name = 'ChecksumMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}
