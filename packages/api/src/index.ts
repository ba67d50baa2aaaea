import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './root';

export {
  type Auth,
  type AuthOptions,
  createAuth,
  HashedSessionAdapter,
  hashSessionId,
  SESSION_COOKIE,
} from './auth/lucia';
export {
  type ApiDeps,
  type Context,
  createContext,
  type RequestInfo,
  readBearerToken,
} from './context';
export * from './errors';
export {
  type BoundRateLimits,
  createRateLimits,
  defaultRateLimits,
  type Limit,
  type RateLimitOptions,
  RateLimits,
  SignInThrottle,
} from './rate-limit';
export { retryAfterMeta } from './response-meta';
export { type AppRouter, appRouter } from './root';
export { createCallerFactory } from './trpc';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { DECODE_LIMITS } from './media/decode-budget';
export { DECODE_POOL, DecodePool, type DecodePoolOptions } from './media/decode-pool';
export {
  createLocalMediaStorage,
  isMediaKey,
  type MediaStorage,
  mediaContentType,
} from './media/storage';
export { sweepMedia } from './media/sweeper';
export type {
  BusSubscription,
  DeliveryObserver,
  NotificationBus,
  SubscribeOptions,
  UploadEvent,
} from './realtime/bus';
export { DELIVER_CHANNEL, MemoryBus } from './realtime/memory-bus';
export { serializeSubscriptionData } from './realtime/payloads';
export { PostgresBus, type PostgresBusOptions, UPLOADS_CHANNEL } from './realtime/postgres-bus';
export {
  STREAM_LIMITS,
  StreamCaps,
  type StreamLimits,
  StreamMessages,
} from './realtime/stream-caps';
