import { SignInInput, SignUpInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { createUser, toMe, verifyCredentials } from '../services/users';
import { publicProcedure } from '../trpc';

export const authRouter = {
  signUp: publicProcedure.input(SignUpInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.signUpPerIp.consume(ctx.ip);
    const user = await createUser(ctx.db, input);
    const session = await ctx.auth.createSession(user.id, {});
    ctx.setCookie(ctx.auth.createSessionCookie(session.id).serialize());
    return { user: toMe(user) };
  }),

  signIn: publicProcedure.input(SignInInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.signInPerIp.consume(ctx.ip);
    await ctx.limits.signInPerUsername.consume(input.username);
    const user = await verifyCredentials(ctx.db, input);
    await ctx.limits.signInPerUsername.reset(input.username);
    // A new session on every sign-in; an old cookie, if any, is ended (no fixation).
    if (ctx.session && ctx.authMethod === 'cookie')
      await ctx.auth.invalidateSession(ctx.session.id);
    const session = await ctx.auth.createSession(user.id, {});
    ctx.setCookie(ctx.auth.createSessionCookie(session.id).serialize());
    return { user: toMe(user) };
  }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.session && ctx.authMethod === 'cookie')
      await ctx.auth.invalidateSession(ctx.session.id);
    ctx.setCookie(ctx.auth.createBlankSessionCookie().serialize());
    return { ok: true as const };
  }),

  me: publicProcedure.query(({ ctx }) => {
    if (!ctx.user) return null;
    return toMe(ctx.user);
  }),
} satisfies TRPCRouterRecord;
