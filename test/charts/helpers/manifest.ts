/** A synthesized object as tests read it: loosely typed JSON (charts/ itself is strictly typed). */
// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary manifest JSON and assert on it
export type Json = any;

export interface Manifest {
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly [field: string]: Json;
}
