// Fuzzing LlamaModel specs (issue 15): hundreds of specs generated from the schema
// (support/fuzz-specs.ts), each created on the real API server with the CRD installed while the
// real LlamaModel controller runs in-process. Each one is either refused by the API server with a
// message naming the field, or reconciled: the model gets a status for its generation, and no
// reconcile fails with a retryable error. A child the API server refuses (e.g. an odd toleration in
// the opaque scheduling fields) is the designed terminal outcome, which must leave the model Degraded
// with the reason. KUBELLAMA_FUZZ_RUNS for a longer run; a failure prints the replay command.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type LlamaModel, LlamaModelSpecSchema } from '../../operator/api/llama-model.js';
import { KubeApiError, TerminalError } from '../../operator/kube/errors.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { modelPath } from '../../operator/llamamodel/paths.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, installCrd, userModel } from '../operator/support/kube.js';
import { type RunningOperator, runOperator } from '../operator/support/operator.js';
import { assertFuzz, fuzzParams } from './support/fuzz-params.js';
import { llamaModelSpec } from './support/fuzz-specs.js';

const TEST_FILE = 'test/reliability/fuzz-llamamodel.test.ts';
const CI_RUNS = 500;
/** A field path as the API server's messages write it: spec.runtime.contextSize, spec.runtime.env[0].name. */
const NAMES_A_FIELD = /\bspec(\.[A-Za-z]|\[|:)|metadata\.name/;

describe('fuzzing LlamaModel specs (real API server, real controller)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  let operator: RunningOperator;
  let counter = 0;
  const outcomes = { refused: 0, reconciled: 0, degradedByChild: 0 };
  /** Reconcile errors that would be retried: a bug (a refused child is a TerminalError, by design). */
  const retryable = (name?: string) =>
    operator.errors
      .filter((e) => !(e instanceof TerminalError))
      .map(String)
      // Only this model's, so that shrinking replays are judged on their own spec.
      .filter((e) => name === undefined || new RegExp(`/${name}([?/:\\s]|$)`).test(e));

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    ns = await createTestNamespace(kc, 'lm-fuzz');
    operator = await runOperator(kc, ns);
  });
  afterAll(async () => {
    await operator?.stop();
    await client?.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
  });

  const check = async ({ spec }: { spec: unknown }) => {
    const name = `fz-${++counter}`;
    // KUBELLAMA_FUZZ_VERBOSE=1: each spec with its model's name, to find one in the API server's log.
    if (process.env.KUBELLAMA_FUZZ_VERBOSE === '1')
      console.log(`[fuzz-llamamodel] ${name} ${JSON.stringify(spec)}`);
    let created: LlamaModel;
    try {
      created = await client.create<LlamaModel>(modelPath(ns), {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name, namespace: ns },
        spec,
      });
    } catch (error) {
      if (!(error instanceof KubeApiError) || (error.statusCode !== 422 && error.statusCode !== 400))
        throw error;
      if (!NAMES_A_FIELD.test(error.message))
        throw new Error(`refused without naming a field: ${error.message}`);
      outcomes.refused += 1;
      return;
    }
    const generation = created.metadata.generation;
    const model = await waitFor(
      async () => {
        const m = await client.get<LlamaModel>(modelPath(ns, name));
        return m.status?.observedGeneration === generation ? m : undefined;
      },
      {
        description: `LlamaModel ${name} to get a status for generation ${generation}`,
        timeoutMs: 20_000,
        abortIf: () => {
          const failed = retryable(name);
          if (failed.length) throw new Error(`reconciling failed: ${failed.join('\n')}`);
        },
      },
    );
    const failed = retryable(name);
    if (failed.length) throw new Error(`reconciling failed: ${failed.join('\n')}`);
    const degraded = model.status?.conditions?.find((c) => c.type === 'Degraded');
    if (degraded?.status === 'True') {
      if (!degraded.message || !NAMES_A_FIELD.test(degraded.message))
        throw new Error(`${name} is Degraded without naming the field: ${JSON.stringify(degraded)}`);
      outcomes.degradedByChild += 1;
    } else {
      outcomes.reconciled += 1;
    }
  };

  it('refuses each generated spec naming a field, or reconciles it without an operator error', {
    timeout: 900_000,
  }, async () => {
    const params = fuzzParams('fuzz-llamamodel', CI_RUNS);
    const started = Date.now();
    await assertFuzz(
      fc.asyncProperty(
        llamaModelSpec(LlamaModelSpecSchema as never, userModel('', '').spec as Record<string, unknown>),
        check,
      ),
      params,
      TEST_FILE,
      780_000,
    );
    console.log(
      `[fuzz-llamamodel] ${counter} specs in ${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(outcomes)}`,
    );
    expect(counter).toBeGreaterThanOrEqual(params.numRuns);
    // Both sides were exercised: some specs refused, some reconciled.
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.reconciled).toBeGreaterThan(0);
    expect(retryable()).toEqual([]);
  });
});
