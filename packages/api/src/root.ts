import { authRouter } from './routers/auth';
import { followsRouter } from './routers/follows';
import { feedRouter, postsRouter } from './routers/posts';
import { usersRouter } from './routers/users';
import { createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  follows: followsRouter,
  posts: postsRouter,
  feed: feedRouter,
});

export type AppRouter = typeof appRouter;
