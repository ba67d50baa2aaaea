import { authRouter } from './routers/auth';
import { commentsRouter } from './routers/comments';
import { feedRouter } from './routers/feed';
import { followsRouter } from './routers/follows';
import { notificationsRouter } from './routers/notifications';
import { postsRouter } from './routers/posts';
import { usersRouter } from './routers/users';
import { createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  users: usersRouter,
  follows: followsRouter,
  posts: postsRouter,
  feed: feedRouter,
  comments: commentsRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
