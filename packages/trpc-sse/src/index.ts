export {
  type ContextFactory,
  type CreateSSEContextOptions,
  createSSEHandler,
  type SSEErrorOptions,
  type SSEHandler,
  type SSEHandlerOptions,
} from './handler';
