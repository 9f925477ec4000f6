// The W3C Trace Context `traceresponse` header a client reads the trace id of its request from (the
// runtime sets it; the demo, the end-to-end suite and `kubectl llama chat` read it).
import { TRACERESPONSE_HEADER } from '../charts/runtime-contract.js';

/** The trace id of a `traceresponse` value: `00-<trace-id>-<span-id>-<flags>`. */
export function traceIdOf(traceresponse: string | null): string {
  const match = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceresponse?.trim() ?? '');
  if (!match?.[1]) {
    throw new Error(
      `the runtime answered no valid ${TRACERESPONSE_HEADER} header (got ${JSON.stringify(traceresponse)})`,
    );
  }
  return match[1];
}
