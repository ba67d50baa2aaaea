import { describeNotification, UploadNotification } from '@photogram/contracts';
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
import { idleReleaseMs } from './idle-release';
import { listenForReads } from './read-sync';
import { joinTabGroup, type Presence, type TabGroup } from './tab-leader';

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

function parseNotification(raw: unknown): UploadNotification | null {
  const parsed = UploadNotification.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * The live connection of a signed-in person: one per browser, held by the leader tab and
 * relayed to the others (`tab-leader.ts`); toasts in the tab being looked at, badge and
 * lists refreshed in all, catch-up on reconnect and on handover.
 */
function LiveNotifications({ children, userId }: { children: ReactNode; userId: string }) {
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [streaming, setStreaming] = useState(false);
  // The stream's `lastEventId`: null until this tab knows where to start.
  const [lastEventId, setLastEventId] = useState<string | null>(null);
  const [leaderReconnecting, setLeaderReconnecting] = useState(false);
  const [online, setOnline] = useState(() => navigator.onLine);
  const connectedOnce = useRef(false);
  const group = useRef<TabGroup<UploadNotification> | null>(null);

  const dismiss = useCallback((key: string) => {
    setToasts((current) => current.filter((toast) => toast.key !== key));
  }, []);

  useEffect(() => {
    const refresh = () => {
      void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
    };
    // A tab that has focus got it when it opened, not when the signed-in person was known.
    let focusedAt = document.hasFocus() ? Math.round(performance.timeOrigin) : 0;
    const presence = (): Presence => ({
      visible: document.visibilityState === 'visible',
      focusedAt,
    });
    const tab = joinTabGroup<UploadNotification>({
      userId,
      tabId: crypto.randomUUID(),
      locks: typeof navigator.locks === 'undefined' ? undefined : navigator.locks,
      openChannel:
        typeof BroadcastChannel === 'undefined' ? undefined : (name) => new BroadcastChannel(name),
      idleMs: idleReleaseMs,
      presence: presence(),
      parseData: parseNotification,
      onEvent: ({ id, data, toast }) => {
        if (toast) {
          const key = `${userId}:${id}`;
          setToasts((current) => [
            ...current.slice(-2),
            { key, notification: data, text: describeNotification(data) },
          ]);
          setTimeout(() => dismiss(key), TOAST_MS);
        }
        refresh();
      },
      onStreamChange: setStreaming,
      onStatus: setLeaderReconnecting,
      onResumed: refresh,
    });
    group.current = tab;

    const onVisibility = () => {
      if (document.visibilityState === 'visible' && document.hasFocus()) focusedAt = Date.now();
      tab.setPresence(presence());
    };
    const onFocus = () => {
      focusedAt = Date.now();
      tab.setPresence(presence());
    };
    const onPageHide = () => tab.close();
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('focus', onFocus);
    window.addEventListener('pagehide', onPageHide);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('focus', onFocus);
      window.removeEventListener('pagehide', onPageHide);
      tab.close();
      group.current = null;
      setStreaming(false);
    };
  }, [userId, queryClient, dismiss]);

  // Offline, the stream is dropped at once (an idle SSE connection can look alive for a
  // long time); back online, it resumes from the last id received and replays the gap.
  useEffect(() => {
    const goOffline = () => setOnline(false);
    const goOnline = () => {
      const last = group.current?.lastEventId();
      if (last) setLastEventId(last);
      setOnline(true);
    };
    window.addEventListener('offline', goOffline);
    window.addEventListener('online', goOnline);
    return () => {
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    };
  }, []);

  // The newest notification already loaded is where a stream may start: nothing that
  // lands between this page load and the subscription is lost. Only the first load
  // counts as shown; later refetches may hold an event whose relay is still on its way.
  const newest = useQuery(trpc.notifications.list.queryOptions({ limit: 20 }));
  const loaded = newest.data !== undefined;
  const firstLoad = useRef(true);
  useEffect(() => {
    if (!newest.data || !firstLoad.current || !group.current) return;
    firstLoad.current = false;
    group.current.noteLoaded(newest.data.items.map((item) => item.eventId));
  }, [newest.data]);

  // Taking the stream (first leader, handover, back from idle): start from the newest
  // id this tab knows. Every tab hears every relayed event, so that is the newest any
  // tab knows; an event the old leader got but never relayed is replayed, once.
  useEffect(() => {
    if (!streaming) {
      setLastEventId(null);
      return;
    }
    if (lastEventId !== null) return;
    const last = group.current?.lastEventId() ?? null;
    if (last !== null) setLastEventId(last);
    else if (loaded) setLastEventId('0');
  }, [streaming, lastEventId, loaded]);

  useEffect(() => listenForReads(queryClient), [queryClient]);

  const subscription = useSubscription(
    trpc.notifications.onUpload.subscriptionOptions(
      { lastEventId },
      {
        enabled: streaming && lastEventId !== null && online,
        onStarted: () => {
          connectedOnce.current = true;
        },
        onError: () => {
          // Signed out in another tab, or the session expired: find out who we are now.
          void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
        },
        onData: ({ id, data }) => {
          group.current?.deliver(id, data);
        },
      },
    ),
  );

  const streamReconnecting =
    streaming &&
    (subscription.status === 'connecting' || subscription.status === 'error') &&
    connectedOnce.current;
  useEffect(() => {
    group.current?.setStatus(streamReconnecting);
  }, [streamReconnecting]);

  const reconnecting = !online || (streaming ? streamReconnecting : leaderReconnecting);
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
  // A page restored from the back/forward cache left its tab group on pagehide: a new
  // key mounts a fresh live connection that joins again.
  const [restores, setRestores] = useState(0);
  useEffect(() => {
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted) setRestores((count) => count + 1);
    };
    window.addEventListener('pageshow', onPageShow);
    return () => window.removeEventListener('pageshow', onPageShow);
  }, []);
  if (!userId) return <>{children}</>;
  return (
    <LiveNotifications key={`${userId}:${restores}`} userId={userId}>
      {children}
    </LiveNotifications>
  );
}
