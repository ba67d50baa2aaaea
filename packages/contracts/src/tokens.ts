import { z } from 'zod';
import { input } from './input';
import { text } from './text';

export const TOKEN_NAME_MAX = 50;

export const CreateTokenInput = input({
  name: text({ subject: 'Token names', params: { error: 'Give the token a name.' } })
    .min(1, 'Give the token a name, such as "laptop CLI".')
    .max(TOKEN_NAME_MAX, `Token names can be at most ${TOKEN_NAME_MAX} characters.`),
});
export type CreateTokenInput = z.input<typeof CreateTokenInput>;

export const RevokeTokenInput = input({
  // Token ids are letters and digits; anything else cannot be one (and a NUL would reach
  // the database as a 500), so it is refused here with a sentence.
  tokenId: z
    .string({ error: 'A token id is required.' })
    .min(1, 'A token id is required.')
    .max(64, 'That token id is not valid.')
    .regex(/^[A-Za-z0-9_-]+$/, 'That token id is not valid.'),
});

export const ApiTokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
});
export type ApiTokenSummary = z.infer<typeof ApiTokenSummary>;

export const TokenMessages = {
  tokenNotFound: 'That token does not exist or was already revoked.',
  tokenRevoked: 'This API token was revoked. Create a new one to continue.',
  sessionEnded: 'You signed out. Sign in again to continue.',
  browserOnly: 'API tokens can only be managed from a signed-in browser session.',
} as const;
