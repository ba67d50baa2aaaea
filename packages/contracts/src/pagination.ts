import { z } from 'zod';

export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

/** Keyset pagination input: the `nextCursor` of the previous page, or nothing for the first. */
export const PageInput = z.object({
  // Every cursor is the decimal id of the last item seen (see the services' parseIdCursor).
  cursor: z
    .string({ error: 'That page cursor is not valid.' })
    .regex(/^[1-9][0-9]{0,17}$/, 'That page cursor is not valid.')
    .nullish(),
  limit: z
    .number()
    .int()
    .min(1, 'Ask for at least 1 item')
    .max(PAGE_LIMIT_MAX, `Ask for at most ${PAGE_LIMIT_MAX} items`)
    .default(PAGE_LIMIT_DEFAULT),
});
export type PageInput = z.input<typeof PageInput>;

/** A page of results with the cursor to pass for the next one (null at the end). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
