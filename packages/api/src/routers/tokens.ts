import { CreateTokenInput, RevokeTokenInput, TokenMessages } from '@photogram/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { ForbiddenError } from '../errors';
import { createToken, listTokens, revokeToken } from '../services/tokens';
import { protectedProcedure } from '../trpc';

/**
 * API tokens, a file of their own but served under `auth` (`auth.createToken`,
 * `auth.listTokens`, `auth.revokeToken`): procedure paths are the API's contract, and
 * `authRouter` spreads these in.
 */
export const tokenProcedures = {
  /** A new API token, shown this once. Only a browser session may mint one. */
  createToken: protectedProcedure.input(CreateTokenInput).mutation(async ({ ctx, input }) => {
    if (ctx.authMethod !== 'cookie') throw new ForbiddenError(TokenMessages.browserOnly);
    const { token, summary } = await createToken(ctx.db, { userId: ctx.user.id, name: input.name });
    return { token, ...summary };
  }),

  /** The signed-in person's tokens: name, created, last used; never the secret. */
  listTokens: protectedProcedure.query(async ({ ctx }) => ({
    items: await listTokens(ctx.db, { userId: ctx.user.id }),
  })),

  /** Revokes a token: its requests, and subscriptions open with it, stop at once. */
  revokeToken: protectedProcedure.input(RevokeTokenInput).mutation(async ({ ctx, input }) => {
    await revokeToken(ctx.db, { userId: ctx.user.id, tokenId: input.tokenId });
    await ctx.bus.revoke(input.tokenId).catch((error: unknown) => {
      ctx.reportError(error, 'ending the subscriptions of a token failed');
    });
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
