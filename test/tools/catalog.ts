// The upstream binaries that the test harness runs, where they are built from, and where the
// build caches them. Shared by `npm run tools` (which builds) and test/harness/ (which runs them),
// so the two can never disagree about a path.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GO_MODULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'go');

export type ToolName = 'kube' | 'etcd' | 'jaeger' | 'otelcol' | 'helm';

export interface Tool {
  readonly name: ToolName;
  /** Folder under test/tools/go/ holding the tool's own Go module (or builder manifest). */
  readonly moduleDir: string;
  /** The upstream version, read from the module's pins so it is stated in one place only. */
  readonly version: string;
  /** Binaries the build leaves in the tool's cache folder. */
  readonly binaries: readonly string[];
  /** Files whose content decides the build; any change to them gives a new cache folder. */
  readonly inputs: readonly string[];
}

function requiredVersion(goModPath: string, modulePath: string): string {
  const text = readFileSync(goModPath, 'utf8');
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`${goModPath} does not require ${modulePath}`);
  return match[1];
}

function builderDistVersion(manifestPath: string): string {
  const match = /^\s+version:\s*(\S+)/m.exec(readFileSync(manifestPath, 'utf8'));
  if (!match?.[1]) throw new Error(`${manifestPath} has no dist.version`);
  return `v${match[1].replace(/^v/, '')}`;
}

function goModuleTool(name: ToolName, modulePath: string, binaries: string[]): Tool {
  const moduleDir = join(GO_MODULES_DIR, name);
  const goMod = join(moduleDir, 'go.mod');
  const inputs = [goMod, join(moduleDir, 'go.sum'), join(moduleDir, 'main.go')].filter(existsSync);
  return { name, moduleDir, version: requiredVersion(goMod, modulePath), binaries, inputs };
}

export const TOOLS: readonly Tool[] = [
  goModuleTool('etcd', 'go.etcd.io/etcd/server/v3', ['etcd']),
  goModuleTool('kube', 'k8s.io/kubernetes', ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']),
  goModuleTool('jaeger', 'github.com/jaegertracing/jaeger', ['jaeger']),
  goModuleTool('helm', 'helm.sh/helm/v3', ['helm']),
  {
    name: 'otelcol',
    moduleDir: join(GO_MODULES_DIR, 'otelcol'),
    version: builderDistVersion(join(GO_MODULES_DIR, 'otelcol', 'manifest.yaml')),
    binaries: ['otelcol-kubellama'],
    inputs: ['manifest.yaml', 'go.mod', 'go.sum'].map((file) => join(GO_MODULES_DIR, 'otelcol', file)),
  },
];

/** Root of the tool cache: `KUBELLAMA_TOOLS`, else `$XDG_CACHE_HOME/kubellama/tools` (~/.cache by default). */
export function toolsRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBELLAMA_TOOLS) return resolve(env.KUBELLAMA_TOOLS);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubellama', 'tools');
}

/** `<root>/<name>-<version>-<hash of inputs>`: a new pin or manifest never reuses an old build. */
export function toolDir(tool: Tool, root = toolsRoot()): string {
  const hash = createHash('sha256');
  for (const input of tool.inputs) hash.update(readFileSync(input));
  return join(root, `${tool.name}-${tool.version}-${hash.digest('hex').slice(0, 10)}`);
}

/** Marker written last by the build: a folder without it is an interrupted build. */
export const COMPLETE_MARKER = '.complete';

export function isBuilt(tool: Tool, root = toolsRoot()): boolean {
  return existsSync(join(toolDir(tool, root), COMPLETE_MARKER));
}

/** Absolute path of a built binary, or an error that says how to build it. */
export function binaryPath(binary: string, root = toolsRoot()): string {
  const tool = TOOLS.find((t) => t.binaries.includes(binary));
  if (!tool) throw new Error(`unknown tool binary ${binary}`);
  const path = join(toolDir(tool, root), binary);
  if (!isBuilt(tool, root) || !existsSync(path)) {
    throw new Error(
      `${binary} (${tool.name} ${tool.version}) is not built in ${root}: run \`npm run tools\``,
    );
  }
  return path;
}
