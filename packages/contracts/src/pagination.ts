import type { z } from 'zod';
import { decimalId } from './ids';
import { optionalInput, wholeNumber } from './input';

export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

export const PageMessages = { invalidCursor: 'That page cursor is not valid.' } as const;

/** Keyset pagination fields: the `nextCursor` of the previous page, or nothing for the first. */
export const PageFields = {
  // Every cursor is the decimal id of the last item seen (see the services' parseIdCursor).
  cursor: decimalId(PageMessages.invalidCursor).nullish(),
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
