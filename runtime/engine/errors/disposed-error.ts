/** The engine was used after dispose() (for example while shutting down). */
export class DisposedError extends Error {
  constructor() {
    super('The engine is shut down.');
    this.name = 'DisposedError';
  }
}
