import { useQuery } from '@tanstack/react-query';
import { trpc } from '../../lib/trpc';

/** The signed-in person, `null` when signed out, `undefined` while loading. */
export function useMe() {
  const query = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  return { me: query.data, isLoading: query.isPending };
}
