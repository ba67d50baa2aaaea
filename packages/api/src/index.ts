import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './root';

export { createAuth, hashSessionId, SESSION_COOKIE } from './auth/lucia';
export { type Context, type ContextRequest, createContext } from './context';
export { ServiceBusyError, TooManyRequestsError } from './errors';
export { createRateLimits, type RateLimitOptions } from './rate-limit';
export { retryAfterMeta } from './response-meta';
export { type AppRouter, appRouter } from './root';
export { createCallerFactory } from './trpc';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { DECODE_LIMITS } from './media/decode-budget';
export { DecodePool } from './media/decode-pool';
export {
  createLocalMediaStorage,
  isMediaKey,
  type MediaStorage,
  mediaContentType,
} from './media/storage';
export { sweepMedia } from './media/sweeper';
export type { NotificationBus, UploadEvent } from './realtime/bus';
export { DELIVER_CHANNEL, MemoryBus } from './realtime/memory-bus';
export { PostgresBus } from './realtime/postgres-bus';
export { StreamCaps, type StreamLimits, StreamMessages } from './realtime/stream-caps';
