/**
 * Errors that services throw. They never import tRPC; one middleware in `trpc.ts`
 * turns them into tRPC codes, and their message is what the person reads.
 */
export class DomainError extends Error {
  override name = 'DomainError';
}
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
}
export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
}
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}
export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
}
export class ValidationError extends DomainError {
  override name = 'ValidationError';
}
export class TooManyRequestsError extends DomainError {
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/**
 * The server as a whole has no room for this work now (every decode slot and queue place
 * taken, every upload slot in use): a 503 with `Retry-After`, unlike a 429, which is about
 * what this one client has done.
 */
export class ServiceBusyError extends DomainError {
  override name = 'ServiceBusyError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
