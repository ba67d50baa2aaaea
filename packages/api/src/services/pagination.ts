import { isDecimalId, PageMessages } from '@photogram/contracts';
import { ValidationError } from '../errors';

/**
 * Keyset cursors are the decimal id of the last item seen. The input schemas check them
 * already; services are called from elsewhere too, so the rule is applied again here.
 */
export function parseIdCursor(cursor: string | null | undefined): number | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  if (!isDecimalId(cursor)) throw new ValidationError(PageMessages.invalidCursor);
  return Number(cursor);
}

/** Splits a `limit + 1` query result into a page and the cursor after it. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => number,
): { items: Item[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(toItem),
    nextCursor: more && last !== undefined ? String(cursorOf(last)) : null,
  };
}
