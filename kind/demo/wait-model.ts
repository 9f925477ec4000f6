// Waits until a LlamaModel is Ready, printing a line whenever its phase or download progress
// changes. The progress is the pull init container's last log line (`kubectl logs -c pull
// --tail=1`): the LlamaModel's status has no download field yet.
import { modelLocation } from '../../charts/llama-model-env.js';
import { WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import { CONDITION } from '../../operator/api/conditions.js';
import { GROUP, PLURAL } from '../../operator/api/llama-model.js';
import { formatCommand, type Runner } from './runner.js';

/** `kubectl logs` names the init container that downloads the model. */
const POLL_MS = 3_000;

export interface ModelRef {
  readonly name: string;
  readonly namespace: string;
  readonly source: string;
}

/** A pull log line for a person: `downloading 42% (120 of 290 MB)`, or the line itself. */
export function describePullLine(line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.percent === 'number' && typeof entry.totalBytes === 'number') {
      const mb = (bytes: unknown) => Math.round(Number(bytes) / 1e6);
      return `downloading ${entry.percent}% (${mb(entry.downloadedBytes)} of ${mb(entry.totalBytes)} MB)`;
    }
    if (typeof entry.msg === 'string') return entry.msg;
  } catch {
    // Not one of the runtime's JSON lines (node-llama-cpp's own output): show it as it is.
  }
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export async function waitForModelReady(
  runner: Runner,
  kubeconfig: string,
  model: ModelRef,
  timeoutMs = 20 * 60_000,
): Promise<void> {
  const kubectl = (...args: string[]) => ({
    cmd: 'kubectl',
    args: ['--kubeconfig', kubeconfig, '--namespace', model.namespace, ...args],
  });
  const downloads = modelLocation(model.source).pull;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    // Logs first: the dry run shows both commands, and a real run shows the last line once more.
    const pullLine = downloads
      ? await runner.tryCapture(
          kubectl('logs', `deployment/${model.name}`, '-c', WORKLOAD_CONTAINERS.pull, '--tail=1'),
        )
      : undefined;
    const status = await runner.capture(
      kubectl(
        'get',
        `${PLURAL}.${GROUP}/${model.name}`,
        '-o',
        `jsonpath={.status.phase}/{.status.conditions[?(@.type=="${CONDITION.ready}")].status}`,
      ),
      { dryRunResult: `Ready/True` },
    );
    const [phase = '', ready] = status.split('/');
    const line = [`    ${model.name}: ${phase || 'Pending'}`, pullLine ? describePullLine(pullLine) : '']
      .filter(Boolean)
      .join(' — ');
    if (line !== last) runner.progress(line);
    last = line;
    if (ready === 'True') return;
    if (phase === 'Failed' || Date.now() > deadline) {
      const reason = phase === 'Failed' ? 'failed' : `is not Ready after ${timeoutMs / 60_000} min`;
      const describe = formatCommand(kubectl('describe', `${PLURAL}.${GROUP}/${model.name}`)).slice(2);
      throw new Error(`LlamaModel ${model.namespace}/${model.name} ${reason}: see \`${describe}\``);
    }
    await runner.pause(POLL_MS);
  }
}
