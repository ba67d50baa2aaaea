import type { QueryClient } from '@tanstack/react-query';
import { trpc } from '../../lib/trpc';

// Tabs of one browser share read state: a tab that marks something read tells the others.
const channel =
  typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('photogram:notifications');

export function announceRead() {
  channel?.postMessage({ type: 'read' });
}

export function listenForReads(queryClient: QueryClient): () => void {
  if (!channel) return () => {};
  const onMessage = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
  };
  channel.addEventListener('message', onMessage);
  return () => channel.removeEventListener('message', onMessage);
}
