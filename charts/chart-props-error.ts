// One error type for bad chart props: it names the field and says how to fix it, and it is thrown
// while the construct is built, so nothing invalid is ever synthesized.

export class ChartPropsError extends Error {
  /** The prop path, e.g. `collector.resources.limits.memory`. */
  readonly field: string;

  constructor(field: string, problem: string, fix: string) {
    super(`${field}: ${problem}. ${fix}`);
    this.name = 'ChartPropsError';
    this.field = field;
  }
}
