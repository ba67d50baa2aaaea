import { z } from 'zod';
import { textId } from './ids';
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
  tokenId: textId({ required: 'A token id is required.', invalid: 'That token id is not valid.' }),
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
