/** The caller's signal fired while the request still waited for a sequence. */
export class AbortedError extends Error {
  constructor() {
    super('The request was aborted before it started.');
    this.name = 'AbortedError';
  }
}
