import { appRouter } from '@photogram/api';
import { z } from 'zod';

export interface ProcedureDef {
  /** The dotted path, e.g. `posts.upload`. */
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  /** Its input parsers (zod schemas), in the order they were chained. */
  inputs: unknown[];
}

/** Every procedure of the router, for tests that must reach all of them. */
export function procedures(): ProcedureDef[] {
  // tRPC types `_def.procedures` as the nested router record; at run time it is the flat
  // map of dotted paths to procedures, each holding its type and input parsers.
  const all: Record<string, unknown> = appRouter._def.procedures;
  return Object.entries(all).map(([path, procedure]) => {
    const def = z
      .object({ type: z.enum(['query', 'mutation', 'subscription']), inputs: z.array(z.unknown()) })
      .parse(Reflect.get(procedure as object, '_def'));
    return { path, type: def.type, inputs: def.inputs };
  });
}

/** The schema under optional, nullable, default and prefault wrappers. */
export function unwrapped(schema: unknown): unknown {
  let inner = schema;
  while (
    inner instanceof z.ZodOptional ||
    inner instanceof z.ZodNullable ||
    inner instanceof z.ZodDefault ||
    inner instanceof z.ZodPrefault
  ) {
    inner = inner.unwrap();
  }
  return inner;
}
