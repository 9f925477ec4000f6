// Routes the OpenTelemetry SDK's own diagnostics (failed or dropped exports) to the runtime's log as
// one-line warnings, instead of multi-line stacks on the console.
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import type { Logger } from '../../lib/log.js';

function text(message: string, args: unknown[]): string {
  const detail = args.map((arg) =>
    arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : JSON.stringify(arg),
  );
  return [message, ...detail].join(' ').replace(/\s+/g, ' ').trim();
}

export function installDiagLog(log: Logger): void {
  const logger: DiagLogger = {
    error: (message, ...args) => log.warn(`telemetry: ${text(message, args)}`),
    warn: (message, ...args) => log.warn(`telemetry: ${text(message, args)}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
