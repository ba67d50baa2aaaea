export {
  type CreateSSEContextOptions,
  createSSEHandler,
  type SSEErrorOptions,
  type SSEHandler,
  type SSEHandlerOptions,
} from './handler';
