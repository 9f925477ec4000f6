// Maps an owned object's events to its controller owner's key (controller-runtime's
// EnqueueRequestForOwner with OnlyControllerOwner): matched by API group and kind, and on update
// both the old and the new owner are enqueued, so a changed ownerReference leaves no one behind.

import type { Request } from './controller.js';
import type { KubeObject } from './kube-client.js';
import type { EventHandler } from './source.js';

export interface OwnerType {
  /** API group, e.g. inference.kubellama.dev ('' for the core group). */
  readonly group: string;
  readonly kind: string;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The controller owner of `object` if it is of `owner`'s type (owners live in the same namespace). */
export function controllerOwner(object: KubeObject, owner: OwnerType): Request | undefined {
  const ref = object.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== owner.group) return undefined;
  return { namespace: object.metadata?.namespace ?? '', name: ref.name };
}

export function enqueueOwner<T extends KubeObject>(
  owner: OwnerType,
  enqueue: (request: Request) => void,
): EventHandler<T> {
  return enqueueMapped((object: T) => controllerOwner(object, owner), enqueue);
}

/** Maps objects to a request through a function of their own (e.g. pods → the model in a label). */
export function enqueueMapped<T extends KubeObject>(
  map: (object: T) => Request | undefined,
  enqueue: (request: Request) => void,
): EventHandler<T> {
  const handle = (object: T) => {
    const request = map(object);
    if (request) enqueue(request);
  };
  return {
    add: handle,
    update: (oldObject, newObject) => {
      handle(oldObject);
      handle(newObject);
    },
    delete: handle,
  };
}
