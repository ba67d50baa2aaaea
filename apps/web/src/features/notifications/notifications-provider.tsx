import { describeNotification, type UploadNotification } from '@photogram/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { trpc } from '../../lib/trpc';
import { listenForReads } from './read-sync';

export interface Toast {
  key: string;
  notification: UploadNotification;
  text: string;
}

interface NotificationsState {
  toasts: Toast[];
  dismiss(key: string): void;
  /** True while the live connection is down and being re-established. */
  reconnecting: boolean;
}

const NotificationsContext = createContext<NotificationsState>({
  toasts: [],
  dismiss: () => {},
  reconnecting: false,
});

export const useNotifications = () => useContext(NotificationsContext);

const TOAST_MS = 6_000;

/** The live connection of a signed-in person: toasts, badge refresh, catch-up on reconnect. */
function LiveNotifications({ children, userId }: { children: ReactNode; userId: string }) {
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const seen = useRef(new Set<string>());
  const [startAfter, setStartAfter] = useState<string | null>(null);
  const connectedOnce = useRef(false);
  const lastId = useRef<string | null>(null);
  const [online, setOnline] = useState(() => navigator.onLine);

  // Offline, the stream is dropped at once (an idle SSE connection can look alive for a
  // long time); back online, it resumes from the last id received and replays the gap.
  useEffect(() => {
    const goOffline = () => setOnline(false);
    const goOnline = () => {
      if (lastId.current) setStartAfter(lastId.current);
      setOnline(true);
    };
    window.addEventListener('offline', goOffline);
    window.addEventListener('online', goOnline);
    return () => {
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    };
  }, []);

  // The newest notification already loaded is where the live stream starts: nothing
  // that lands between this page load and the subscription is lost.
  const newest = useQuery(trpc.notifications.list.queryOptions({ limit: 20 }));
  useEffect(() => {
    if (startAfter !== null || !newest.data) return;
    for (const item of newest.data.items) seen.current.add(item.eventId);
    setStartAfter(newest.data.items[0]?.eventId ?? '0');
  }, [newest.data, startAfter]);

  useEffect(() => listenForReads(queryClient), [queryClient]);

  const dismiss = useCallback((key: string) => {
    setToasts((current) => current.filter((toast) => toast.key !== key));
  }, []);

  const subscription = useSubscription(
    trpc.notifications.onUpload.subscriptionOptions(
      { lastEventId: startAfter },
      {
        enabled: startAfter !== null && online,
        onStarted: () => {
          connectedOnce.current = true;
        },
        onError: () => {
          // Signed out in another tab, or the session expired: find out who we are now.
          void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
        },
        onData: ({ id, data }) => {
          lastId.current = id;
          if (seen.current.has(id)) return;
          seen.current.add(id);
          const key = `${userId}:${id}`;
          setToasts((current) => [
            ...current.slice(-2),
            { key, notification: data, text: describeNotification(data) },
          ]);
          setTimeout(() => dismiss(key), TOAST_MS);
          void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
        },
      },
    ),
  );

  const reconnecting =
    !online ||
    ((subscription.status === 'connecting' || subscription.status === 'error') &&
      connectedOnce.current);
  const value = useMemo(() => ({ toasts, dismiss, reconnecting }), [toasts, dismiss, reconnecting]);
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function NotificationsProvider({
  children,
  userId,
}: {
  children: ReactNode;
  userId: string | null;
}) {
  if (!userId) return <>{children}</>;
  return (
    <LiveNotifications key={userId} userId={userId}>
      {children}
    </LiveNotifications>
  );
}
