export type { SSEErrorOptions } from './errors';
export {
  type ContextFactory,
  type CreateSSEContextOptions,
  createSSEHandler,
  type SSEHandler,
  type SSEHandlerOptions,
} from './handler';
export { type OwnFields, SharedPayload } from './shared-payload';
