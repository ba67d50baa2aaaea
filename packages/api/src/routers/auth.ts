import { SignInInput, SignUpInput } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { hashSessionId } from '../auth/lucia';
import type { Context } from '../context';
import { createUser, toMe, verifyCredentials } from '../services/users';
import { publicProcedure } from '../trpc';
import { tokenProcedures } from './tokens';

/** Invalidates a browser session and ends the live streams opened with it. */
async function endSession(ctx: Context, sessionId: string) {
  await ctx.auth.invalidateSession(sessionId);
  // Subscriptions know their session by its hash (`credentialId`), never by the secret.
  await ctx.bus.revoke(hashSessionId(sessionId)).catch((error: unknown) => {
    ctx.reportError(error, 'ending the subscriptions of a session failed');
  });
}

export const authRouter = {
  signUp: publicProcedure.input(SignUpInput).mutation(async ({ ctx, input }) => {
    await ctx.limits.signUpPerIp.consume(ctx.ip);
    const user = await createUser(ctx.db, input);
    const session = await ctx.auth.createSession(user.id, {});
    ctx.setCookie(ctx.auth.createSessionCookie(session.id).serialize());
    return { user: toMe(user) };
  }),

  signIn: publicProcedure.input(SignInInput).mutation(async ({ ctx, input }) => {
    const user = await ctx.limits.signIn.attempt({ username: input.username, ip: ctx.ip }, () =>
      verifyCredentials(ctx.db, input),
    );
    // A new session on every sign-in; an old cookie, if any, is ended (no fixation), and
    // its live streams with it, as on sign-out. Other devices' sessions are untouched.
    if (ctx.session && ctx.authMethod === 'cookie') await endSession(ctx, ctx.session.id);
    const session = await ctx.auth.createSession(user.id, {});
    ctx.setCookie(ctx.auth.createSessionCookie(session.id).serialize());
    return { user: toMe(user) };
  }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.session && ctx.authMethod === 'cookie') await endSession(ctx, ctx.session.id);
    ctx.setCookie(ctx.auth.createBlankSessionCookie().serialize());
    return { ok: true as const };
  }),

  me: publicProcedure.query(({ ctx }) => {
    if (!ctx.user) return null;
    return toMe(ctx.user);
  }),

  // `auth.createToken`, `auth.listTokens`, `auth.revokeToken`: in `routers/tokens.ts`.
  ...tokenProcedures,
} satisfies TRPCRouterRecord;
