import { describeNotification } from '@photogram/contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { InfiniteSentinel } from '../../components/infinite-sentinel';
import { TimeAgo } from '../../components/time-ago';
import { trpc } from '../../lib/trpc';
import { announceRead } from './read-sync';

/** The inbox: newest first, unread marked, read state shared with the other tabs. */
export function NotificationList() {
  const queryClient = useQueryClient();
  const list = useInfiniteQuery(
    trpc.notifications.list.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const refresh = async () => {
    announceRead();
    await queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
  };
  const markRead = useMutation(trpc.notifications.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(
    trpc.notifications.markAllRead.mutationOptions({ onSuccess: refresh }),
  );

  if (list.isPending) return <p className="muted center">Loading…</p>;
  if (list.isError) return <p className="alert">Could not load your notifications.</p>;
  const items = list.data.pages.flatMap((page) => page.items);
  const anyUnread = items.some((item) => !item.read);
  return (
    <div className="card notifications-card">
      <header className="row spread">
        <h1>Notifications</h1>
        <button
          type="button"
          className="button"
          disabled={!anyUnread || markAll.isPending}
          onClick={() => markAll.mutate()}
        >
          Mark all as read
        </button>
      </header>
      {items.length === 0 ? (
        <p className="muted">When people you follow share photos, you will hear about it here.</p>
      ) : (
        <ul className="notification-items">
          {items.map((item) => (
            <li key={item.id} className={item.read ? 'read' : 'unread'}>
              <Link
                to={`/p/${item.post.id}`}
                onClick={() => {
                  if (!item.read) markRead.mutate({ ids: [item.id] });
                }}
              >
                <img src={item.post.thumbUrl} alt="" width={48} height={48} />
                <span>
                  <strong>{describeNotification(item)}</strong>
                  {item.post.caption ? (
                    <span className="muted block clamp">{item.post.caption}</span>
                  ) : null}
                  <span className="muted small">
                    <TimeAgo date={item.createdAt} />
                  </span>
                </span>
                {item.read ? null : (
                  <span className="dot">
                    <span className="visually-hidden">Unread</span>
                  </span>
                )}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <InfiniteSentinel
        disabled={!list.hasNextPage || list.isFetchingNextPage}
        onVisible={() => void list.fetchNextPage()}
      />
    </div>
  );
}
