// The upstream binaries that the test harness runs, where they are built from, and where the
// build caches them. Shared by `npm run tools` (which builds) and test/harness/ (which runs them),
// so the two can never disagree about a path.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GO_MODULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'go');

export type ToolName = 'kube' | 'etcd' | 'jaeger' | 'otelcol' | 'helm' | 'coredns' | 'containerd' | 'crictl';

/** How `go build` is run for a tool, beyond the flags every tool gets (`-trimpath -ldflags=-s -w`). */
export interface GoBuild {
  /** Extra environment, e.g. `CGO_ENABLED=0` for a static binary. */
  readonly env?: Readonly<Record<string, string>>;
  /** Build tags (`-tags`). */
  readonly tags?: readonly string[];
  /** Link-time string variables (`-ldflags=-X <package>.<name>=<value>`), e.g. the version a binary reports. */
  readonly linkVars?: Readonly<Record<string, string>>;
}

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
  /** Tool-specific build settings; they decide the build too, so they are part of the cache key. */
  readonly build: GoBuild;
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

/** The packages a go.mod lists as `tool` lines (a `tool (...)` block or single lines), in order. */
export function goModTools(goModText: string): string[] {
  const packages: string[] = [];
  for (const match of goModText.matchAll(/^tool\s*\(([^)]*)\)|^tool\s+(\S+)/gm)) {
    packages.push(...(match[1] ?? match[2] ?? '').split(/\s+/).filter(Boolean));
  }
  return packages;
}

function goModuleTool(
  name: ToolName,
  modulePath: string,
  binaries: string[],
  build: (version: string) => GoBuild = () => ({}),
): Tool {
  const moduleDir = join(GO_MODULES_DIR, name);
  const goMod = join(moduleDir, 'go.mod');
  const inputs = [goMod, join(moduleDir, 'go.sum'), join(moduleDir, 'main.go')].filter(existsSync);
  const version = requiredVersion(goMod, modulePath);
  return { name, moduleDir, version, binaries, inputs, build: build(version) };
}

/**
 * What Kubernetes' own release build (hack/lib/version.sh) stamps into every binary, so that
 * `/version`, `kubelet --version` and the Node's kubeletVersion report the pinned release instead
 * of `v0.0.0-master`.
 */
function kubernetesVersionVars(version: string): Record<string, string> {
  const match = /^v(\d+)\.(\d+)\.\d+$/.exec(version);
  if (!match) throw new Error(`k8s.io/kubernetes ${version} is not a vMAJOR.MINOR.PATCH release`);
  const values = { gitVersion: version, gitMajor: match[1]!, gitMinor: match[2]!, gitTreeState: 'clean' };
  const vars: Record<string, string> = {};
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [key, value] of Object.entries(values)) vars[`${pkg}.${key}`] = value;
  }
  return vars;
}

export const TOOLS: readonly Tool[] = [
  goModuleTool('etcd', 'go.etcd.io/etcd/server/v3', ['etcd']),
  goModuleTool(
    'kube',
    'k8s.io/kubernetes',
    ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'],
    (version) => ({ linkVars: kubernetesVersionVars(version) }),
  ),
  goModuleTool('jaeger', 'github.com/jaegertracing/jaeger', ['jaeger']),
  goModuleTool('helm', 'helm.sh/helm/v3', ['helm']),
  {
    name: 'otelcol',
    moduleDir: join(GO_MODULES_DIR, 'otelcol'),
    version: builderDistVersion(join(GO_MODULES_DIR, 'otelcol', 'manifest.yaml')),
    binaries: ['otelcol-kubellama'],
    inputs: ['manifest.yaml', 'go.mod', 'go.sum'].map((file) => join(GO_MODULES_DIR, 'otelcol', file)),
    build: {},
  },
  // The test node's DNS: static, for a FROM scratch image; main.go picks the plugins.
  goModuleTool('coredns', 'github.com/coredns/coredns', ['coredns'], () => ({
    env: { CGO_ENABLED: '0' },
  })),
  // The test node's container runtime (runc and the CNI plugins come from Debian: see .ci/run).
  // The tags leave out snapshotters that need cgo or host libraries; the version is what a release
  // build stamps (`containerd --version`, the Node's containerRuntimeVersion).
  goModuleTool(
    'containerd',
    'github.com/containerd/containerd/v2',
    ['containerd', 'containerd-shim-runc-v2', 'ctr'],
    (version) => ({
      env: { CGO_ENABLED: '0' },
      tags: ['no_btrfs', 'no_zfs', 'no_devmapper'],
      linkVars: { 'github.com/containerd/containerd/v2/version.Version': version },
    }),
  ),
  goModuleTool('crictl', 'sigs.k8s.io/cri-tools', ['crictl'], (version) => ({
    env: { CGO_ENABLED: '0' },
    linkVars: { 'sigs.k8s.io/cri-tools/pkg/version.Version': version.replace(/^v/, '') },
  })),
];

/** `go build` arguments (before the packages) and extra environment for a tool. */
export function goBuildFlags(tool: Tool): { args: string[]; env: Record<string, string> } {
  const ldflags = ['-s', '-w'];
  for (const [name, value] of Object.entries(tool.build.linkVars ?? {})) {
    if (/[\s'"]/.test(name + value)) throw new Error(`${tool.name}: -X ${name}=${value} needs quoting`);
    ldflags.push('-X', `${name}=${value}`);
  }
  const args = ['-trimpath', `-ldflags=${ldflags.join(' ')}`];
  if (tool.build.tags?.length) args.push(`-tags=${tool.build.tags.join(',')}`);
  return { args, env: { ...tool.build.env } };
}

/** Root of the tool cache: `KUBELLAMA_TOOLS`, else `$XDG_CACHE_HOME/kubellama/tools` (~/.cache by default). */
export function toolsRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBELLAMA_TOOLS) return resolve(env.KUBELLAMA_TOOLS);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubellama', 'tools');
}

/** `<root>/<name>-<version>-<hash of inputs>`: a new pin or manifest never reuses an old build. */
export function toolDir(tool: Tool, root = toolsRoot()): string {
  const hash = createHash('sha256');
  for (const input of tool.inputs) hash.update(readFileSync(input));
  // Only tools that declare build settings hash them, so the others keep their existing folders.
  if (Object.keys(tool.build).length > 0) hash.update(JSON.stringify(tool.build));
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
