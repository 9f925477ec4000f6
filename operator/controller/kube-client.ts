// A small REST client for the Kubernetes API over node:https, authenticated by client-node's
// KubeConfig. The operator needs only a handful of verbs (get, list, watch, create, the patch types,
// update, delete) on any resource path; a raw client keeps content types and status codes explicit.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { KubeApiError } from './errors.js';

const tracer = trace.getTracer('kubellama-operator');
const REQUEST_TIMEOUT_MS = 30_000;
const WATCH_IDLE_MS = 360_000;

export type PatchType = 'apply' | 'merge' | 'json' | 'strategic';

const CONTENT_TYPES: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
    deletionTimestamp?: string | Date;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Counts requests by verb, so tests and the benchmark can see the writes a reconcile made. */
export type RequestObserver = (method: string, path: string, status: number) => void;

export class KubeClient {
  readonly server: string;
  private readonly options: Record<string, unknown>;
  private readonly kc: KubeConfig;
  private headersAt = Date.now();
  private observers: RequestObserver[] = [];

  private constructor(kc: KubeConfig, server: string, options: Record<string, unknown>) {
    this.kc = kc;
    this.server = server;
    this.options = options;
  }

  static async fromKubeConfig(kc: KubeConfig): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    const options: Record<string, unknown> = { headers: {} };
    await kc.applyToHTTPSOptions(options as never);
    const { agent: _ignored, ...rest } = options;
    // One keep-alive agent for every request, with the TLS settings client-node worked out.
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 32,
      ...(pick(rest, ['ca', 'cert', 'key', 'rejectUnauthorized']) as object),
    });
    return new KubeClient(kc, cluster.server.replace(/\/$/, ''), { ...rest, agent });
  }

  onRequest(observer: RequestObserver): () => void {
    this.observers.push(observer);
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /** GET that answers undefined for 404. */
  async getOrUndefined<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  update<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.send('DELETE', path);
  }

  patch<T>(path: string, body: unknown, type: PatchType, query: Record<string, string> = {}): Promise<T> {
    return this.send<T>('PATCH', withQuery(path, query), body, CONTENT_TYPES[type]);
  }

  /** Server-side apply under `fieldManager`, forcing ownership of the fields in `body`. */
  apply<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.patch<T>(path, body, 'apply', { fieldManager, force: 'true' });
  }

  /**
   * Opens a watch; `onEvent` gets every decoded event. Resolves with a stop function once the
   * server answered; `onEnd` is called once when the stream ends for any reason.
   */
  async watch<T>(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => void,
    onEnd: (error?: Error) => void,
  ): Promise<() => void> {
    const response = await this.open(
      'GET',
      withQuery(path, { ...query, watch: 'true' }),
      undefined,
      undefined,
      true,
    );
    if ((response.statusCode ?? 0) >= 300) {
      const text = await readAll(response);
      throw KubeApiError.fromResponse('GET', path, response.statusCode ?? 0, text);
    }
    let buffer = '';
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        newline = buffer.indexOf('\n');
      }
    });
    response.on('end', () => end());
    response.on('error', (error) => end(error));
    response.on('close', () => end());
    return () => {
      response.destroy();
      end();
    };
  }

  private send<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    // A CLIENT span per API call inside a trace (a reconcile's): it shows what it read and wrote.
    // Calls outside one (lease renewals, lists) would only be noise.
    if (!trace.getActiveSpan()) return this.exchange<T>(method, path, body, contentType);
    return tracer.startActiveSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': method, 'url.path': path.split('?')[0] },
      },
      async (span) => {
        try {
          return await this.exchange<T>(method, path, body, contentType);
        } catch (error) {
          if (error instanceof KubeApiError) {
            span.setAttribute('http.response.status_code', error.statusCode);
            span.setAttribute('error.type', String(error.statusCode));
          }
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async exchange<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const response = await this.open(method, path, payload, contentType ?? 'application/json');
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    for (const observer of this.observers) observer(method, path, status);
    if (status >= 300) throw KubeApiError.fromResponse(method, path, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // In a pod the service account token is rotated on disk: re-read the auth headers now and then.
  private async refreshHeaders(): Promise<void> {
    if (Date.now() - this.headersAt < 60_000) return;
    this.headersAt = Date.now();
    const fresh: { headers: Record<string, string> } = { headers: {} };
    await this.kc.applyToHTTPSOptions(fresh as never);
    this.options.headers = fresh.headers;
  }

  private async open(
    method: string,
    path: string,
    payload?: string,
    contentType?: string,
    stream = false,
  ): Promise<IncomingMessage> {
    await this.refreshHeaders();
    const url = new URL(this.server + path);
    const headers: Record<string, string> = {
      ...(this.options.headers as Record<string, string>),
      Accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'http:' ? httpRequest : request;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { ...(url.protocol === 'http:' ? {} : this.options), method, headers, timeout: 0 },
        resolve,
      );
      req.on('error', reject);
      // A request that hangs must not hang its reconcile. A watch is idle at most until the server
      // closes it (timeoutSeconds ≤ 300 s; bookmarks come every minute): longer means a dead peer.
      const idleMs = stream ? WATCH_IDLE_MS : REQUEST_TIMEOUT_MS;
      req.setTimeout(idleMs, () => req.destroy(new Error(`${method} ${path}: no data for ${idleMs} ms`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function withQuery(path: string, query: Record<string, string>): string {
  const params = new URLSearchParams(query).toString();
  if (!params) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${params}`;
}

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
    });
    response.on('end', () => resolve(text));
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the response was complete'));
    });
  });
}
