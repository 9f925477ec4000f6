// A list+watch informer with a local cache. client-node's informer stops on errors other than
// 410; this one re-lists on 410 Gone (expired resourceVersion) and restarts after any other
// failure with exponential backoff, so a controller never silently goes deaf.
import { KubeApiError } from './errors.js';
import type { KubeClient, KubeList, KubeObject, WatchEvent } from './kube-client.js';

export type EventHandler<T> = {
  add?(object: T): void;
  update?(oldObject: T, newObject: T): void;
  delete?(object: T): void;
};

export interface InformerOptions {
  /** Collection path, e.g. /apis/apps/v1/namespaces/demo/deployments (or cluster-wide). */
  readonly path: string;
  readonly labelSelector?: string;
  /** Page size of the list. @default 500 */
  readonly pageSize?: number;
  /** First restart delay after a failure; doubles up to maxBackoffMs. @default 200 ms */
  readonly baseBackoffMs?: number;
  /** @default 30 s */
  readonly maxBackoffMs?: number;
  /** The server closes a watch after about this long; the informer reconnects. @default 300 s */
  readonly watchTimeoutSeconds?: number;
  /** Told about every failure (logs, metrics). */
  readonly onError?: (error: unknown) => void;
}

export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

export class Informer<T extends KubeObject> {
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly cache = new Map<string, T>();
  private readonly handlers: EventHandler<T>[] = [];
  private resourceVersion = '';
  private stopWatch: (() => void) | undefined;
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  /** Times the informer listed from scratch (first sync, 410 Gone, restarts). */
  lists = 0;

  constructor(client: KubeClient, options: InformerOptions) {
    this.client = client;
    this.options = options;
  }

  on(handler: EventHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    if (this.stopped) {
      this.stopped = false;
      void this.run();
    }
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.resourceVersion) await this.relist();
      await this.watch();
      this.failures = 0;
    } catch (error) {
      this.fail(error);
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(this.options.pageSize ?? 500) });
      if (this.options.labelSelector) query.set('labelSelector', this.options.labelSelector);
      if (token) query.set('continue', token);
      const page = await this.client.get<KubeList<T>>(`${this.options.path}?${query}`);
      items.push(...page.items);
      resourceVersion = page.metadata.resourceVersion ?? '';
      token = page.metadata.continue || undefined;
    } while (token);
    this.lists++;
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      this.upsert(item);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        for (const h of this.handlers) h.delete?.(old);
      }
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters) resolve();
      this.syncWaiters = [];
    }
  }

  private async watch(): Promise<void> {
    const query: Record<string, string> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.options.watchTimeoutSeconds ?? 300),
    };
    if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
    let failure: unknown;
    this.stopWatch = await this.client.watch<T>(
      this.options.path,
      query,
      (event) => {
        try {
          this.handle(event);
        } catch (error) {
          failure = error;
          this.stopWatch?.();
        }
      },
      (error) => {
        this.stopWatch = undefined;
        if (this.stopped) return;
        if (failure ?? error) {
          this.fail(failure ?? error);
        } else {
          // A normal close (timeoutSeconds): resume from the last resourceVersion.
          void this.run();
        }
      },
    );
  }

  private handle(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      if (status.code === 410) {
        // Our resourceVersion is too old: list again from scratch.
        this.resourceVersion = '';
        throw new KubeApiError(
          'WATCH',
          this.options.path,
          410,
          status.reason ?? 'Expired',
          status.message ?? '',
        );
      }
      throw new KubeApiError(
        'WATCH',
        this.options.path,
        status.code ?? 500,
        status.reason ?? 'Unknown',
        status.message ?? '',
      );
    }
    const rv = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return;
    }
    if (event.type === 'DELETED') {
      const key = objectKey(event.object);
      this.cache.delete(key);
      for (const h of this.handlers) h.delete?.(event.object);
    } else {
      this.upsert(event.object);
    }
    if (rv) this.resourceVersion = rv;
  }

  private upsert(object: T): void {
    const key = objectKey(object);
    const old = this.cache.get(key);
    this.cache.set(key, object);
    if (!old) {
      for (const h of this.handlers) h.add?.(object);
    } else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
      for (const h of this.handlers) h.update?.(old, object);
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.options.onError?.(error);
    if (error instanceof KubeApiError && error.statusCode === 410) {
      this.resourceVersion = '';
      void this.run();
      return;
    }
    const base = this.options.baseBackoffMs ?? 200;
    const delay = Math.min(base * 2 ** this.failures, this.options.maxBackoffMs ?? 30_000);
    this.failures++;
    // Restart from a fresh list: events may have been missed while the watch was down.
    this.resourceVersion = '';
    this.restartTimer = setTimeout(() => void this.run(), delay);
    this.restartTimer.unref();
  }
}
