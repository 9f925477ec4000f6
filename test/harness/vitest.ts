// Harness helpers that need a running vitest (inject, hooks); import only from test files.
export { printLogsOnFailure } from './logs.js';
export { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from './shared-kube.js';
