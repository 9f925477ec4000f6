// The user's cluster as kubectl finds it: --kubeconfig, else every file KUBECONFIG lists (merged,
// the first file's current context winning), else ~/.kube/config, else the in-cluster service
// account; --context picks another context, and the namespace is -n, else the context's, else
// "default".
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { PluginError } from './errors.js';

export interface ConnectionFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}

export interface Connection {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly context: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function kubeconfigFiles(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string[] | 'in-cluster' {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) {
      throw new PluginError(`--kubeconfig: the file "${flags.kubeconfig}" does not exist`);
    }
    return [flags.kubeconfig];
  }
  if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(delimiter).filter(Boolean);
    // kubectl skips listed files that do not exist.
    const files = listed.filter((file) => existsSync(file));
    if (files.length === 0) {
      throw new PluginError(`KUBECONFIG names no file that exists (${listed.join(delimiter)})`);
    }
    return files;
  }
  const home = env.HOME ?? homedir();
  const file = join(home, '.kube', 'config');
  if (existsSync(file)) return [file];
  if (existsSync(SERVICE_ACCOUNT_TOKEN) && env.KUBERNETES_SERVICE_HOST) return 'in-cluster';
  throw new PluginError(
    `no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or write ${file} (kubectl config view shows what kubectl uses)`,
  );
}

export function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const kc = new KubeConfig();
  const files = kubeconfigFiles(flags, env);
  try {
    if (files === 'in-cluster') kc.loadFromCluster();
    else {
      kc.loadFromFile(files[0]!);
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    }
  } catch (error) {
    throw new PluginError(`cannot read the kubeconfig: ${(error as Error).message}`);
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new PluginError(
        `--context: context "${flags.context}" is not in the kubeconfig (it has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context) || !kc.getCurrentCluster()) {
    throw new PluginError(
      'the kubeconfig has no current context: pass --context NAME or run kubectl config use-context NAME',
    );
  }
  const namespace = flags.namespace || kc.getContextObject(context)?.namespace || 'default';
  return { kc, namespace, context };
}
