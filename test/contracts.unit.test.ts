// The contracts test: every name two sides share is declared once, in a charts/*-contract.ts module
// (ARCHITECTURE.md, "Contracts"), and both sides import it. It fails when an entry goes unused on a
// side (a side stopped reading or writing it, or spells it itself), and when any source file outside
// the contracts spells a contract value as a literal instead of importing it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as metricsContract from '../charts/metrics-contract.js';
import * as operatorContract from '../charts/operator-contract.js';
import * as pullProgressContract from '../charts/pull-progress-contract.js';
import * as runtimeContract from '../charts/runtime-contract.js';
import * as telemetryContract from '../charts/telemetry-contract.js';
import * as workloadContract from '../charts/workload-contract.js';
import { SERVE_FLAGS } from '../runtime/config.js';

const ROOT = join(import.meta.dirname, '..');
/** The product's source folders (tests may spell a contract value: they check behaviour). */
const SOURCE_DIRS = ['runtime', 'operator', 'charts', 'kind', 'images', 'lib', 'plugin'];

interface Side {
  readonly name: string;
  /** Files, or folders (every .ts file under them). */
  readonly paths: readonly string[];
  /**
   * Entries a side uses without naming them one by one, by export: e.g. the runtime reads every
   * RUNTIME_ENV variable that SERVE_FLAGS lists, through `RUNTIME_ENV[key]`.
   */
  readonly usesAll?: Readonly<Record<string, readonly string[]>>;
  /** Other names a side reads an export through (a spread of it: SERVE_ENV holds RUNTIME_ENV). */
  readonly aliases?: Readonly<Record<string, readonly string[]>>;
}

interface Contract {
  readonly module: string;
  readonly exports: Readonly<Record<string, unknown>>;
  readonly sides: readonly [Side, Side];
}

const CONTRACTS: Contract[] = [
  {
    module: 'charts/runtime-contract.ts',
    exports: runtimeContract,
    sides: [
      {
        name: 'what deploys and calls the runtime',
        paths: [
          'charts/llama-model-workload.ts',
          'charts/llama-model-env.ts',
          'charts/compose.ts',
          'operator/llamamodel',
          'kind/demo',
          'lib/trace-response.ts',
          'plugin',
        ],
      },
      {
        name: 'the runtime',
        paths: ['runtime'],
        // config.ts reads env[SERVE_ENV[key]] for every flag's key; SERVE_ENV spreads RUNTIME_ENV.
        usesAll: { RUNTIME_ENV: Object.keys(SERVE_FLAGS) },
        aliases: { RUNTIME_ENV: ['SERVE_ENV'] },
      },
    ],
  },
  {
    module: 'charts/operator-contract.ts',
    exports: operatorContract,
    sides: [
      { name: 'the operator install chart', paths: ['charts/operator.ts'] },
      { name: 'the operator', paths: ['operator'] },
    ],
  },
  {
    module: 'charts/workload-contract.ts',
    exports: workloadContract,
    sides: [
      {
        name: 'the workload and its labels',
        paths: ['charts/llama-model-workload.ts', 'charts/llama-model-env.ts', 'charts/labels.ts'],
      },
      {
        name: 'what reads the workload back',
        paths: [
          'operator/llamamodel',
          'operator/api/crd.ts',
          'charts/collector-config.ts',
          'charts/monitoring.ts',
          'kind/demo',
        ],
      },
    ],
  },
  {
    module: 'charts/telemetry-contract.ts',
    exports: telemetryContract,
    sides: [
      { name: "the runtime's spans", paths: ['runtime/telemetry', 'runtime/server'] },
      { name: "the collector's pipeline", paths: ['charts/span-metrics.ts', 'charts/tail-sampling.ts'] },
    ],
  },
  {
    module: 'charts/pull-progress-contract.ts',
    exports: pullProgressContract,
    sides: [
      {
        name: "the pull command's progress lines",
        paths: ['runtime/cli/pull-progress.ts'],
        // The numbers are written by the contract's own printer, pullProgressFields().
        usesAll: { PULL_PROGRESS: ['bytes', 'totalBytes', 'percent'] },
      },
      {
        name: 'the operator reading them into status.download',
        paths: ['operator/llamamodel/download-status.ts'],
        // Read by the contract's own parser, lastPullProgress().
        usesAll: { PULL_PROGRESS: ['message', 'bytes', 'totalBytes', 'percent'] },
      },
    ],
  },
  {
    module: 'charts/metrics-contract.ts',
    exports: metricsContract,
    sides: [
      { name: "the runtime's instruments", paths: ['runtime/telemetry/metrics.ts'] },
      { name: 'the dashboard', paths: ['charts/dashboards/runtime-dashboard.ts'] },
    ],
  },
];

function tsFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return (readdirSync(full, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(path, f));
}

/** Source text without comments (a comment naming a value is documentation, not a use). */
function code(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `NAME` for a scalar export; `NAME.key` for every key of an object export (its entries). */
function entries(contract: Contract): { exportName: string; key?: string; value: unknown }[] {
  return Object.entries(contract.exports).flatMap(([exportName, value]) =>
    value && typeof value === 'object'
      ? Object.entries(value).map(([key, v]) => ({ exportName, key, value: v }))
      : typeof value === 'function'
        ? []
        : [{ exportName, value }],
  );
}

function usedOn(side: Side, exportName: string, key: string | undefined, text: string): boolean {
  if (key === undefined) return new RegExp(`\\b${exportName}\\b`).test(text);
  if (side.usesAll?.[exportName]?.includes(key)) return true;
  // CONTRACT.key, or CONTRACT['key'], or a typed key handed to a helper (name('key', …)).
  const names = [exportName, ...(side.aliases?.[exportName] ?? [])].join('|');
  return new RegExp(
    `\\b(${names})\\.${key}\\b|\\b(${names})\\[['"]${key}['"]\\]|[(,]\\s*['"]${escapeRegExp(key)}['"]\\s*[,)]`,
  ).test(text);
}

/** Every string a contract declares that is distinctive enough to be a copy when found quoted. */
function declaredStrings(): { value: string; where: string }[] {
  const strings: { value: string; where: string }[] = [];
  const walk = (value: unknown, where: string) => {
    if (typeof value === 'string') strings.push({ value, where });
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
  };
  for (const contract of CONTRACTS)
    for (const [name, value] of Object.entries(contract.exports)) walk(value, name);
  // Short common words (a port named 'http', a container named 'pull') collide with unrelated
  // text; names with a separator, a capital or a slash cannot.
  return strings.filter(({ value }) => value.length >= 4 && /[._/A-Z-]/.test(value));
}

describe('shared names are declared once and imported on both sides', () => {
  for (const contract of CONTRACTS) {
    it(`${contract.module}: every entry is used by ${contract.sides[0].name} and by ${contract.sides[1].name}`, () => {
      const unused: string[] = [];
      for (const side of contract.sides) {
        const files = side.paths.flatMap(tsFiles);
        const text = files.map(code).join('\n');
        for (const { exportName, key } of entries(contract)) {
          if (!usedOn(side, exportName, key, text))
            unused.push(
              `${key ? `${exportName}.${key}` : exportName} is unused by ${side.name} (${side.paths.join(', ')})`,
            );
        }
      }
      expect(unused).toEqual([]);
    });
  }

  it('no source file outside the contracts spells a contract value as a literal', () => {
    const contractFiles = new Set(CONTRACTS.map((c) => c.module));
    const files = SOURCE_DIRS.flatMap(tsFiles).filter((f) => !contractFiles.has(f));
    const texts = files.map((f) => ({ file: f, text: code(f) }));
    const copies: string[] = [];
    for (const { value, where } of declaredStrings()) {
      const quoted = new RegExp(`['"\`]${escapeRegExp(value)}['"\`]`);
      for (const { file, text } of texts)
        if (quoted.test(text)) copies.push(`${file} spells ${where} ('${value}')`);
    }
    expect(copies).toEqual([]);
  });
});
