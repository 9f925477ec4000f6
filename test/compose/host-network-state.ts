// What netavark (podman's bridge networking) changes on the host and leaves behind when its last
// network is gone: `net.ipv4.ip_forward` stays 1, and the NETAVARK_* iptables chains stay, with the
// jumps to them from the built-in chains. A test takes a snapshot before it creates a network and
// puts back only what changed since, and only while no other container of the harness's podman runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const TABLES = ['filter', 'nat'] as const;

export interface HostNetworkState {
  readonly ipForward: string;
  /** `iptables -t <table> -S` lines per table; undefined where iptables is missing. */
  readonly rules: Readonly<Record<(typeof TABLES)[number], readonly string[]>> | undefined;
  /** `nft list tables` lines (iptables-nft creates `ip filter`/`ip nat` on first use); undefined without nft. */
  readonly nftTables: readonly string[] | undefined;
}

function iptables(args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function nftTables(): string[] | undefined {
  if (!has('nft')) return undefined;
  const result = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').filter(Boolean) : undefined;
}

export function hostNetworkState(): HostNetworkState {
  const ipForward = readFileSync(IP_FORWARD, 'utf8').trim();
  const rules = has('iptables')
    ? (Object.fromEntries(
        TABLES.map((table) => [table, iptables(['-t', table, '-S']).stdout.split('\n').filter(Boolean)]),
      ) as Record<(typeof TABLES)[number], string[]>)
    : undefined;
  return { ipForward, rules, nftTables: nftTables() };
}

/** netavark's bridges (`podman0`, `podman1`, …) that exist now: each is some network's running containers. */
export function netavarkBridges(): string[] {
  const result = spawnSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  return [...(result.stdout ?? '').matchAll(/^\d+:\s+(podman\d+)[:@]/gm)].map((m) => m[1] ?? '');
}

/** `-A CHAIN "a b" c` → ['-A', 'CHAIN', 'a b', 'c'] (iptables -S quotes with double quotes only). */
function splitRule(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** What changed since `before`, in words (empty when nothing did). */
export function describeChanges(before: HostNetworkState, after: HostNetworkState): string[] {
  const changes: string[] = [];
  if (before.ipForward !== after.ipForward)
    changes.push(`net.ipv4.ip_forward ${before.ipForward} -> ${after.ipForward}`);
  if (before.rules && after.rules) {
    for (const table of TABLES) {
      const old = new Set(before.rules[table]);
      for (const line of after.rules[table])
        if (!old.has(line)) changes.push(`iptables -t ${table}: ${line}`);
    }
  }
  if (before.nftTables && after.nftTables) {
    const old = new Set(before.nftTables);
    for (const line of after.nftTables) if (!old.has(line)) changes.push(`nft: ${line}`);
  }
  return changes;
}

/**
 * Undoes the NETAVARK rules and chains added since `before` and sets ip_forward back. Returns what
 * it undid and what it could not. Call it only when no container of this podman still runs.
 */
export function restoreHostNetworkState(before: HostNetworkState): { undone: string[]; failed: string[] } {
  const undone: string[] = [];
  const failed: string[] = [];
  const now = hostNetworkState();
  if (before.rules && now.rules) {
    for (const table of TABLES) {
      const old = new Set(before.rules[table]);
      const added = now.rules[table].filter((line) => !old.has(line) && line.includes('NETAVARK'));
      // Rules first (last added first), then the chains they lived in.
      const steps = [
        ...added
          .filter((line) => line.startsWith('-A '))
          .reverse()
          .map((line) => ['-D', ...splitRule(line).slice(1)]),
        ...added
          .filter((line) => line.startsWith('-N '))
          .flatMap((line) => [
            ['-F', line.slice(3)],
            ['-X', line.slice(3)],
          ]),
      ];
      for (const step of steps) {
        const result = iptables(['-t', table, ...step]);
        (result.ok ? undone : failed).push(
          `iptables -t ${table} ${step.join(' ')}${result.ok ? '' : `: ${result.stderr.trim()}`}`,
        );
      }
    }
  }
  // Tables iptables-nft created for netavark: deleted once they hold nothing but the built-in chains.
  if (before.nftTables && now.nftTables) {
    const old = new Set(before.nftTables);
    for (const line of now.nftTables.filter((l) => !old.has(l) && /^table ip (filter|nat)$/.test(l))) {
      const table = line.slice('table ip '.length) as (typeof TABLES)[number];
      const empty = iptables(['-t', table, '-S'])
        .stdout.split('\n')
        .every((l) => l === '' || l.startsWith('-P '));
      if (!empty) continue;
      const result = spawnSync('nft', ['delete', 'table', 'ip', table], { encoding: 'utf8' });
      (result.status === 0 ? undone : failed).push(
        `nft delete table ip ${table}${result.status === 0 ? '' : `: ${result.stderr}`}`,
      );
    }
  }
  if (now.ipForward !== before.ipForward) {
    try {
      writeFileSync(IP_FORWARD, `${before.ipForward}\n`);
      undone.push(`net.ipv4.ip_forward=${before.ipForward}`);
    } catch (error) {
      failed.push(`net.ipv4.ip_forward=${before.ipForward}: ${(error as Error).message}`);
    }
  }
  return { undone, failed };
}
