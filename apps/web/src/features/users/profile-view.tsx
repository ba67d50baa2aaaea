import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Avatar } from '../../components/avatar';
import { InfiniteSentinel } from '../../components/infinite-sentinel';
import { trpc } from '../../lib/trpc';
import { useMe } from '../auth/use-me';
import { FollowButton } from './follow-button';
import { NotifyBell } from './notify-bell';

function PostGrid({ userId }: { userId: string }) {
  const posts = useInfiniteQuery(
    trpc.posts.byUser.infiniteQueryOptions(
      { userId, limit: 24 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  if (posts.isPending) return <p className="muted center">Loading photos…</p>;
  if (posts.isError) return <p className="alert">Could not load the photos.</p>;
  const items = posts.data.pages.flatMap((page) => page.items);
  if (items.length === 0) return <p className="muted center">No photos yet.</p>;
  return (
    <>
      <ul className="grid" aria-label="Photos">
        {items.map((post) => (
          <li key={post.id}>
            <Link to={`/p/${post.id}`} title={post.caption}>
              <img
                src={post.image.thumbUrl}
                alt={post.altText || post.caption || 'Photo'}
                loading="lazy"
                width={320}
                height={320}
              />
            </Link>
          </li>
        ))}
      </ul>
      <InfiniteSentinel
        disabled={!posts.hasNextPage || posts.isFetchingNextPage}
        onVisible={() => void posts.fetchNextPage()}
      />
    </>
  );
}

/** A person's page: who they are, their counts, follow, and their photos. */
export function ProfileView({ username }: { username: string }) {
  const { me } = useMe();
  const profile = useQuery(trpc.users.byUsername.queryOptions({ username }));
  if (profile.isPending) return <p className="muted center">Loading…</p>;
  if (profile.isError) {
    return (
      <div className="card empty">
        <h1>
          {profile.error.data?.code === 'NOT_FOUND' ? 'No such person' : 'Something went wrong'}
        </h1>
        <p className="muted">{profile.error.message}</p>
        <Link to="/search">Search for people</Link>
      </div>
    );
  }
  const person = profile.data;
  const count = (n: number, one: string, many: string) => (
    <>
      <strong>{n.toLocaleString()}</strong> {n === 1 ? one : many}
    </>
  );
  return (
    <div className="profile">
      <header className="profile-header">
        <Avatar user={{ ...person, avatarUrl: person.avatarLargeUrl }} size={96} />
        <div className="profile-info">
          <div className="profile-names">
            <h1>{person.displayName}</h1>
            <span className="muted">@{person.username}</span>
          </div>
          <ul className="counts" aria-label="Counts">
            <li>{count(person.counts.posts, 'post', 'posts')}</li>
            <li>{count(person.counts.followers, 'follower', 'followers')}</li>
            <li>{count(person.counts.following, 'following', 'following')}</li>
          </ul>
          {person.bio ? <p className="bio">{person.bio}</p> : null}
          {person.isSelf ? (
            <Link className="button" to="/upload">
              Share a photo
            </Link>
          ) : me ? (
            <div className="profile-actions">
              <FollowButton profile={person} />
              {person.isFollowing ? <NotifyBell profile={person} /> : null}
            </div>
          ) : (
            <Link className="button primary" to="/signin">
              Sign in to follow
            </Link>
          )}
        </div>
      </header>
      <PostGrid userId={person.id} />
    </div>
  );
}
