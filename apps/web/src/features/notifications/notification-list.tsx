import { describeGroup, groupActors, type NotificationGroup } from '@photogram/contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { InfiniteSentinel } from '../../components/infinite-sentinel';
import { TimeAgo } from '../../components/time-ago';
import { trpc } from '../../lib/trpc';
import { ActorStack } from './actor-stack';
import { announceRead } from './read-sync';

/** Where a row leads: the post it is about, or the newest follower's profile. */
function groupTarget(group: NotificationGroup): string {
  if (group.post) return `/p/${group.post.id}`;
  const actor = group.sampleActors[0];
  return actor ? `/u/${actor.username}` : '/notifications';
}

/** The line under the sentence: the comment, or the caption of an upload or a caption mention. */
function groupExcerpt(group: NotificationGroup): string | null {
  if (group.comment) return group.comment.body;
  if ((group.type === 'upload' || group.type === 'mention') && group.post?.caption) {
    return group.post.caption;
  }
  return null;
}

function GroupRow({ group, onOpen }: { group: NotificationGroup; onOpen(): void }) {
  const actors = groupActors(group);
  const sentence = describeGroup(group);
  const excerpt = groupExcerpt(group);
  return (
    <li className={group.read ? 'read' : 'unread'} data-group={group.type}>
      <Link to={groupTarget(group)} onClick={onOpen}>
        <ActorStack actors={group.sampleActors} />
        <span className="notification-text">
          <span className="block">
            <strong>{actors}</strong>
            {sentence.slice(actors.length)}
          </span>
          {excerpt ? <span className="muted block clamp excerpt">{excerpt}</span> : null}
          <span className="muted small">
            <TimeAgo date={group.latestAt} />
          </span>
        </span>
        {group.post ? (
          <img className="thumb" src={group.post.thumbUrl} alt="" width={48} height={48} />
        ) : null}
        {group.read ? null : (
          <span className="dot">
            <span className="visually-hidden">Unread</span>
          </span>
        )}
      </Link>
    </li>
  );
}

/**
 * The inbox as the server groups it (likes and comments per post, follows together),
 * newest first; opening a row marks the whole group read, in every tab.
 */
export function NotificationList() {
  const queryClient = useQueryClient();
  const list = useInfiniteQuery(
    trpc.notifications.groups.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const refresh = async () => {
    announceRead();
    await queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
  };
  const markGroup = useMutation(
    trpc.notifications.markGroupRead.mutationOptions({ onSuccess: refresh }),
  );
  const markAll = useMutation(
    trpc.notifications.markAllRead.mutationOptions({ onSuccess: refresh }),
  );

  if (list.isPending) return <p className="muted center">Loading…</p>;
  if (list.isError) return <p className="alert">Could not load your notifications.</p>;
  const groups = list.data.pages.flatMap((page) => page.items);
  const anyUnread = groups.some((group) => !group.read);
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
      {groups.length === 0 ? (
        <p className="muted">
          When people follow you, like or comment on your photos, or share photos of their own, you
          will hear about it here.
        </p>
      ) : (
        <ul className="notification-items">
          {groups.map((group) => (
            <GroupRow
              key={group.key}
              group={group}
              onOpen={() => {
                if (!group.read) markGroup.mutate({ key: group.key });
              }}
            />
          ))}
        </ul>
      )}
      {list.hasNextPage ? (
        <button
          type="button"
          className="button load-more"
          disabled={list.isFetchingNextPage}
          onClick={() => void list.fetchNextPage()}
        >
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
      <InfiniteSentinel
        disabled={!list.hasNextPage || list.isFetchingNextPage}
        onVisible={() => void list.fetchNextPage()}
      />
    </div>
  );
}
