import type { Post } from '@photogram/contracts';
import { Link } from 'react-router';
import { Avatar } from '../../components/avatar';
import { TimeAgo } from '../../components/time-ago';

/** A post as the feed shows it; the image keeps its aspect ratio from the first paint. */
export function PostCard({ post, priority = false }: { post: Post; priority?: boolean }) {
  return (
    <article className="card post-card" aria-label={`Photo by @${post.author.username}`}>
      <header className="post-header">
        <Link to={`/u/${post.author.username}`} className="post-author">
          <Avatar user={post.author} size={32} />
          <span>
            <strong>{post.author.displayName}</strong>
            <span className="muted"> @{post.author.username}</span>
          </span>
        </Link>
        <Link to={`/p/${post.id}`} className="muted small">
          <TimeAgo date={post.createdAt} />
        </Link>
      </header>
      <Link to={`/p/${post.id}`} className="post-image">
        <img
          src={post.image.url}
          width={post.image.width}
          height={post.image.height}
          alt={post.caption || `Photo by @${post.author.username}`}
          loading={priority ? 'eager' : 'lazy'}
          decoding="async"
        />
      </Link>
      {post.caption ? (
        <p className="post-caption">
          <Link to={`/u/${post.author.username}`}>
            <strong>{post.author.username}</strong>
          </Link>{' '}
          {post.caption}
        </p>
      ) : null}
    </article>
  );
}
