import type { Me } from '@photogram/contracts';
import { hashKey, type QueryClient, useQuery } from '@tanstack/react-query';
import { trpc } from '../../lib/trpc';

/** The signed-in person, `null` when signed out, `undefined` while loading. */
export function useMe() {
  const query = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  return { me: query.data, isLoading: query.isPending };
}

/**
 * After sign-in, sign-up or sign-out: drop what was cached for whoever was signed in
 * before, and set who is signed in now. The `auth.me` query itself is kept and updated
 * rather than cleared: a component observing a removed query hears nothing until it
 * renders again, and the layout (which starts the live connection) did not, so a person
 * who signed in got no live notifications until a reload.
 */
export function switchPerson(queryClient: QueryClient, me: Me | null) {
  const meKey = trpc.auth.me.queryKey();
  const meHash = hashKey(meKey);
  queryClient.removeQueries({ predicate: (query) => query.queryHash !== meHash });
  queryClient.setQueryData(meKey, me);
}
