/** A line on stdout that is not a JSON-RPC message. */
export class InvalidMessageError extends Error {
  constructor(cause: Error) {
    super(`sent output that is not JSON-RPC (${cause.message.split('\n')[0]?.slice(0, 200) ?? ''})`);
    this.name = 'InvalidMessageError';
  }
}
