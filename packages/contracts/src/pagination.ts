import { z } from 'zod';
import { optionalInput, wholeNumber } from './input';

export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

/** Keyset pagination fields: the `nextCursor` of the previous page, or nothing for the first. */
export const PageFields = {
  // Every cursor is the decimal id of the last item seen (see the services' parseIdCursor).
  cursor: z
    .string({ error: 'That page cursor is not valid.' })
    .regex(/^[1-9][0-9]{0,17}$/, 'That page cursor is not valid.')
    .nullish(),
  limit: wholeNumber({
    field: 'The page size (limit)',
    min: 1,
    max: PAGE_LIMIT_MAX,
    tooSmall: 'Ask for at least 1 item.',
    tooBig: `Ask for at most ${PAGE_LIMIT_MAX} items.`,
  }).default(PAGE_LIMIT_DEFAULT),
};
/** A page of everything: no input at all is the first page. */
export const PageInput = optionalInput(PageFields);
export type PageInput = z.input<typeof PageInput>;
