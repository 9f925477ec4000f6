// A command's last words for Kubernetes: written to the termination message file, they become the
// container's termination message (`kubectl describe pod`, the pod's status), which the operator
// shows in the LlamaModel's conditions — one clear line instead of the tail of the JSON log.
import { existsSync, writeFileSync } from 'node:fs';
import { TERMINATION_MESSAGE_PATH } from '../../charts/runtime-contract.js';

/** The kubelet keeps at most 4096 bytes of a container's message. */
const MAX_BYTES = 4096;

/**
 * Writes `message` where the kubelet reads it. Only where the file exists (the kubelet creates it
 * in every container): elsewhere, a laptop or compose, nothing is written.
 */
export function writeTerminationMessage(message: string, path = TERMINATION_MESSAGE_PATH): boolean {
  if (!existsSync(path)) return false;
  let text = message.trim();
  while (Buffer.byteLength(text) > MAX_BYTES) text = `${text.slice(0, Math.floor(text.length * 0.9))}…`;
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}
