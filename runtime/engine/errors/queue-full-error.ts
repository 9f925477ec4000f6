/** Every sequence is busy and the wait queue is full. */
export class QueueFullError extends Error {
  readonly maxQueue: number;

  constructor(maxQueue: number) {
    super(`The server is busy: every sequence is generating and ${maxQueue} requests are already waiting.`);
    this.name = 'QueueFullError';
    this.maxQueue = maxQueue;
  }
}
