// A list+watch informer with a local cache. client-node's informer stops on errors other than
// 410; this one re-lists on 410 Gone (expired resourceVersion) and restarts after any other
// failure with exponential backoff, so a controller never silently goes deaf. Like client-go's
// SetTransform, a transform trims each object before it is cached (the cache is most of an
// operator's memory), and indexes find objects by a derived key without scanning the cache.
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
  /** Applied to every object before it is cached and handed to handlers: keep what is read. */
  readonly transform?: (object: KubeObject) => KubeObject;
  /** The index key of an object (e.g. the model a pod belongs to); see byIndex(). */
  readonly indexBy?: (object: KubeObject) => string | undefined;
}

export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

export class Informer<T extends KubeObject> {
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly cache = new Map<string, T>();
  private readonly index = new Map<string, Set<string>>();
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

  get size(): number {
    return this.cache.size;
  }

  /** The cached objects whose indexBy key is `value`. */
  byIndex(value: string): T[] {
    const keys = this.index.get(value);
    return keys ? [...keys].map((k) => this.cache.get(k)!).filter(Boolean) : [];
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
      // Trimmed page by page: a list of thousands of untrimmed objects is the memory peak.
      for (const item of page.items) items.push(this.trim(item));
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
        this.remove(key, old);
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
      const old = this.cache.get(key);
      if (old) this.remove(key, old);
      const object = this.trim(event.object);
      for (const h of this.handlers) h.delete?.(object);
    } else {
      this.upsert(this.trim(event.object));
    }
    if (rv) this.resourceVersion = rv;
  }

  private trim(object: T): T {
    return this.options.transform ? (this.options.transform(object) as T) : object;
  }

  private remove(key: string, old: T): void {
    this.cache.delete(key);
    const value = this.options.indexBy?.(old);
    if (value === undefined) return;
    const keys = this.index.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.index.delete(value);
  }

  private upsert(object: T): void {
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (old) this.remove(key, old);
    this.cache.set(key, object);
    const value = this.options.indexBy?.(object);
    if (value !== undefined) {
      const keys = this.index.get(value) ?? new Set<string>();
      keys.add(key);
      this.index.set(value, keys);
    }
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
