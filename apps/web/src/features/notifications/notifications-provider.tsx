import { describeNotification, Notification, notificationStream } from '@photogram/contracts';
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
import { trpc, trpcClient } from '../../lib/trpc';
import { idleReleaseMs } from './idle-release';
import { listenForReads } from './read-sync';
import {
  RESUME_PAGE_SIZE,
  type ResumeIds,
  resumeIds,
  STREAMS,
  type StreamName,
  seedResume,
  shouldToast,
} from './streams';
import { joinTabGroup, type Presence, type TabGroup } from './tab-leader';

export interface Toast {
  key: string;
  notification: Notification;
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

function parseNotification(raw: unknown): Notification | null {
  const parsed = Notification.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * The live connections of a signed-in person: uploads (`onUpload`) and everything else
 * (`onActivity`), one of each per browser, held by the leader tab and relayed to the
 * others (`tab-leader.ts`); toasts in the tab being looked at (never for likes), badge and
 * lists refreshed in all, catch-up on reconnect and on handover, each stream from its
 * own last id.
 */
function LiveNotifications({ children, userId }: { children: ReactNode; userId: string }) {
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [streaming, setStreaming] = useState(false);
  // Each stream's `lastEventId` (null: live only); null until this tab knows where to start.
  const [resume, setResume] = useState<ResumeIds | null>(null);
  const [leaderReconnecting, setLeaderReconnecting] = useState(false);
  const [online, setOnline] = useState(() => navigator.onLine);
  const connectedOnce = useRef(false);
  const group = useRef<TabGroup<Notification, StreamName> | null>(null);

  const dismiss = useCallback((key: string) => {
    setToasts((current) => current.filter((toast) => toast.key !== key));
  }, []);

  useEffect(() => {
    const refresh = (stream?: StreamName) => {
      void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
      // A like or a comment changes the inbox, not what the feed lists.
      if (stream !== 'activity') {
        void queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
      }
    };
    // A tab that has focus got it when it opened, not when the signed-in person was known.
    let focusedAt = document.hasFocus() ? Math.round(performance.timeOrigin) : 0;
    const presence = (): Presence => ({
      visible: document.visibilityState === 'visible',
      focusedAt,
    });
    const tab = joinTabGroup<Notification, StreamName>({
      userId,
      tabId: crypto.randomUUID(),
      locks: typeof navigator.locks === 'undefined' ? undefined : navigator.locks,
      openChannel:
        typeof BroadcastChannel === 'undefined' ? undefined : (name) => new BroadcastChannel(name),
      idleMs: idleReleaseMs,
      presence: presence(),
      parseData: parseNotification,
      streamOf: notificationStream,
      onEvent: ({ stream, id, data, toast }) => {
        if (toast && shouldToast(data)) {
          const key = `${userId}:${stream}:${id}`;
          setToasts((current) => [
            ...current.slice(-2),
            { key, notification: data, text: describeNotification(data) },
          ]);
          setTimeout(() => dismiss(key), TOAST_MS);
        }
        refresh(stream);
      },
      onStreamChange: setStreaming,
      onStatus: setLeaderReconnecting,
      onResumed: () => refresh(),
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
      const tab = group.current;
      if (tab) {
        setResume((current) =>
          current
            ? {
                upload: tab.lastEventId('upload') ?? current.upload,
                activity: tab.lastEventId('activity') ?? current.activity,
              }
            : current,
        );
      }
      setOnline(true);
    };
    window.addEventListener('offline', goOffline);
    window.addEventListener('online', goOnline);
    return () => {
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
    };
  }, []);

  // Each stream's newest notification in the inbox is where it may start: nothing that
  // lands between this page load and the subscription is lost. Read once per page load
  // (outside `notifications.*`, so an event's refresh does not read it again); later
  // reads may hold an event whose relay is still on its way.
  const seed = useQuery({
    queryKey: ['photogram', 'resume-seed', userId],
    queryFn: () =>
      seedResume((cursor) =>
        trpcClient.notifications.list.query({ cursor, limit: RESUME_PAGE_SIZE }),
      ),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const firstLoad = useRef(true);
  useEffect(() => {
    if (!seed.data || !firstLoad.current || !group.current) return;
    firstLoad.current = false;
    for (const stream of STREAMS) group.current.noteLoaded(stream, seed.data.loaded[stream]);
  }, [seed.data]);

  // Taking the streams (first leader, handover, back from idle): start each from the
  // newest of its ids this tab knows. Every tab hears every relayed event, so that is the
  // newest any tab knows; an event the old leader got but never relayed is replayed, once.
  useEffect(() => {
    if (!streaming) {
      setResume(null);
      return;
    }
    if (resume !== null) return;
    const tab = group.current;
    if (!tab) return;
    const next = resumeIds((stream) => tab.lastEventId(stream), seed.data);
    if (next) setResume(next);
  }, [streaming, resume, seed.data]);

  useEffect(() => listenForReads(queryClient), [queryClient]);

  const streamOptions = {
    enabled: streaming && resume !== null && online,
    onStarted: () => {
      connectedOnce.current = true;
    },
    onError: () => {
      // Signed out in another tab, or the session expired: find out who we are now.
      void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
    },
    onData: ({ id, data }: { id: string; data: Notification }) => {
      group.current?.deliver(id, data);
    },
  };
  const uploads = useSubscription(
    trpc.notifications.onUpload.subscriptionOptions(
      { lastEventId: resume?.upload ?? null },
      streamOptions,
    ),
  );
  const activity = useSubscription(
    trpc.notifications.onActivity.subscriptionOptions(
      { lastEventId: resume?.activity ?? null },
      streamOptions,
    ),
  );

  const down = (status: string) => status === 'connecting' || status === 'error';
  const streamReconnecting =
    streaming && (down(uploads.status) || down(activity.status)) && connectedOnce.current;
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
