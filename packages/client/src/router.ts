import type { AppRouter as ServerRouter } from '@photogram/api';
import type { AnyTRPCRouter, TRPCBuiltRouter } from '@trpc/server';

type Root<TRouter extends AnyTRPCRouter> = TRouter['_def']['_config']['$types'];

// The server's context (database, sessions, rate limiters) is no part of what a client can
// call, and spelling it out would make every app that installs this package install drizzle
// and lucia for their types. The procedures and the error shape are all a client needs.
declare function withoutContext<TRouter extends AnyTRPCRouter>(
  router: TRouter,
): TRPCBuiltRouter<
  {
    ctx: object;
    meta: Root<TRouter>['meta'];
    errorShape: Root<TRouter>['errorShape'];
    transformer: Root<TRouter>['transformer'];
  },
  TRouter['_def']['record']
>;
declare const serverRouter: ServerRouter;
// A call, not a type alias: declaration emit writes an inferred type out in full, so the
// built `.d.ts` holds the router's shape instead of a reference to `@photogram/api`. This
// module is only ever imported as a type; the call never runs.
const router = withoutContext(serverRouter);

/** Every procedure of the Photogram API with its input and output, as a client sees them. */
export type AppRouter = typeof router;
