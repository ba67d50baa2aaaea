import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { InfiniteSentinel } from '../../components/infinite-sentinel';
import { trpc } from '../../lib/trpc';
import { PostCard } from './post-card';

/** The home feed: the people you follow and you, newest first, loading as you scroll. */
export function Feed() {
  const feed = useInfiniteQuery(
    trpc.feed.list.infiniteQueryOptions(
      { limit: 10 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  if (feed.isPending) return <p className="muted center">Loading your feed…</p>;
  if (feed.isError) {
    return (
      <div className="alert" role="alert">
        Could not load your feed.{' '}
        <button type="button" className="link" onClick={() => feed.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  const posts = feed.data.pages.flatMap((page) => page.items);
  if (posts.length === 0) {
    return (
      <div className="card empty">
        <h2>Your feed is empty</h2>
        <p className="muted">Photos from people you follow will appear here.</p>
        <div className="actions">
          <Link className="button primary" to="/search">
            Find people to follow
          </Link>
          <Link className="button" to="/upload">
            Share a photo
          </Link>
        </div>
      </div>
    );
  }
  return (
    <div className="feed">
      {posts.map((post, index) => (
        <PostCard key={post.id} post={post} priority={index < 2} />
      ))}
      <InfiniteSentinel
        disabled={!feed.hasNextPage || feed.isFetchingNextPage}
        onVisible={() => void feed.fetchNextPage()}
      />
      {feed.isFetchingNextPage ? <p className="muted center">Loading more…</p> : null}
      {!feed.hasNextPage ? <p className="muted center small">You are all caught up.</p> : null}
    </div>
  );
}
