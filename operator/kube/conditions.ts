// apimachinery's meta.SetStatusCondition: upsert by type; lastTransitionTime moves only when the
// status changes; reason, message and observedGeneration are updated in place.

export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type NewCondition = Omit<StatusCondition, 'lastTransitionTime'> & { lastTransitionTime?: string };

/** Returns the new list (the input is not modified) and whether anything changed. */
export function setStatusCondition(
  conditions: readonly StatusCondition[],
  next: NewCondition,
  now: () => Date = () => new Date(),
): { conditions: StatusCondition[]; changed: boolean } {
  const index = conditions.findIndex((c) => c.type === next.type);
  const existing = conditions[index];
  if (!existing) {
    const added: StatusCondition = { ...next, lastTransitionTime: next.lastTransitionTime ?? rfc3339(now()) };
    return { conditions: [...conditions, added], changed: true };
  }
  const updated: StatusCondition = {
    ...existing,
    status: next.status,
    reason: next.reason,
    message: next.message,
    ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
    lastTransitionTime:
      existing.status === next.status
        ? existing.lastTransitionTime
        : (next.lastTransitionTime ?? rfc3339(now())),
  };
  const changed =
    updated.status !== existing.status ||
    updated.reason !== existing.reason ||
    updated.message !== existing.message ||
    updated.observedGeneration !== existing.observedGeneration;
  const out = [...conditions];
  out[index] = updated;
  return { conditions: out, changed };
}

export function findStatusCondition(
  conditions: readonly StatusCondition[] | undefined,
  type: string,
): StatusCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
