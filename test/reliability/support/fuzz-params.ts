// How a fuzz suite runs: the number of runs (KUBELLAMA_FUZZ_RUNS, the CI default otherwise), the
// seed (KUBELLAMA_FUZZ_SEED, random otherwise; always printed first, so a run that dies still says
// it) and a replay path (KUBELLAMA_FUZZ_PATH, from a failure). A failure's message starts with the
// command that replays it.
import fc from 'fast-check';

export interface FuzzParams {
  readonly numRuns: number;
  readonly seed: number;
  readonly path?: string;
}

function integerEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

export function fuzzParams(suite: string, defaultRuns: number): FuzzParams {
  const numRuns = integerEnv('KUBELLAMA_FUZZ_RUNS') ?? defaultRuns;
  if (numRuns < 1) throw new Error(`KUBELLAMA_FUZZ_RUNS must be at least 1, got ${numRuns}`);
  const seed = integerEnv('KUBELLAMA_FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const path = process.env.KUBELLAMA_FUZZ_PATH || undefined;
  console.log(`[${suite}] fast-check seed ${seed}, ${numRuns} runs${path ? `, replaying path ${path}` : ''}`);
  return { numRuns, seed, ...(path ? { path } : {}) };
}

/**
 * fc.assert with the params, bounded in time; a failure (or running out of time) throws with the
 * replay command first, then fast-check's report (seed, path, counterexample).
 */
export async function assertFuzz<T>(
  property: fc.IAsyncPropertyWithHooks<T>,
  params: FuzzParams,
  testFile: string,
  timeLimitMs: number,
): Promise<void> {
  try {
    await fc.assert(property, {
      numRuns: params.numRuns,
      seed: params.seed,
      ...(params.path ? { path: params.path } : {}),
      interruptAfterTimeLimit: timeLimitMs,
      markInterruptAsFailure: true,
      // Shrinking re-sends requests; bounded so a failure reports within the suite's timeout.
      skipAllAfterTimeLimit: timeLimitMs,
    });
  } catch (error) {
    const message = (error as Error).message;
    const found = /seed: (-?\d+), path: "([^"]*)"/.exec(message);
    const replay = found
      ? `KUBELLAMA_FUZZ_SEED=${found[1]} KUBELLAMA_FUZZ_PATH=${found[2]} npx vitest run ${testFile}`
      : `KUBELLAMA_FUZZ_SEED=${params.seed} npx vitest run ${testFile}`;
    throw new Error(`fuzzing failed; reproduce with:\n  ${replay}\n\n${message}`, { cause: error });
  }
}
