import type { Post } from '@photogram/contracts';
import { useState } from 'react';
import { Link } from 'react-router';
import { Avatar } from '../../components/avatar';
import { Icon, IconPath } from '../../components/icon';
import { RichText } from '../../components/rich-text';
import { TimeAgo } from '../../components/time-ago';
import { useMe } from '../auth/use-me';
import { useLike } from './use-like';

/** What a screen reader says for the photo: the author's alt text, else what we know. */
export function altOf(post: Post): string {
  return post.altText || post.caption || `Photo by @${post.author.username}`;
}

function HeartIcon({ filled }: { filled: boolean }) {
  return (
    <Icon>
      <IconPath
        d="M12 20.5s-7.5-4.4-9.3-9.1C1.5 8.2 3.6 4.5 7.2 4.5c2 0 3.6 1.1 4.8 2.8 1.2-1.7 2.8-2.8 4.8-2.8 3.6 0 5.7 3.7 4.5 6.9-1.8 4.7-9.3 9.1-9.3 9.1z"
        filled={filled}
      />
    </Icon>
  );
}

function CommentIcon() {
  return (
    <Icon>
      <IconPath d="M20.5 11.5a8 8 0 0 1-11.8 7.1L3.5 20l1.4-4.6A8 8 0 1 1 20.5 11.5z" />
    </Icon>
  );
}

function plural(n: number, one: string, many: string) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/**
 * A post as the feed shows it; the image keeps its aspect ratio from the first paint.
 * Double-tap (or double-click) the photo to like it; the heart toggles.
 */
export function PostCard({ post, priority = false }: { post: Post; priority?: boolean }) {
  const { me } = useMe();
  const like = useLike(post);
  const [burst, setBurst] = useState(0);

  function likeFromPhoto() {
    if (!me) return;
    like.like();
    setBurst((n) => n + 1);
  }

  return (
    <article className="card post-card" aria-label={`Photo by @${post.author.username}`}>
      <header className="post-header">
        <Link to={`/u/${post.author.username}`} className="post-author">
          <Avatar user={post.author} size={32} />
          <span className="post-author-names">
            <strong>{post.author.displayName}</strong>
            <span className="muted"> @{post.author.username}</span>
          </span>
        </Link>
        <Link to={`/p/${post.id}`} className="muted small post-time">
          <TimeAgo date={post.createdAt} />
        </Link>
      </header>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the heart button below is the accessible way to like; this is the touch gesture */}
      <div className="post-image" onDoubleClick={likeFromPhoto}>
        <img
          src={post.image.url}
          width={post.image.width}
          height={post.image.height}
          alt={altOf(post)}
          loading={priority ? 'eager' : 'lazy'}
          decoding="async"
          draggable={false}
        />
        {burst > 0 ? (
          <span key={burst} className="like-burst" aria-hidden="true">
            <HeartIcon filled />
          </span>
        ) : null}
      </div>
      <div className="post-actions">
        {me ? (
          <button
            type="button"
            className={`icon-button like-button${like.liked ? ' liked' : ''}`}
            aria-pressed={like.liked}
            aria-label={like.liked ? 'Unlike' : 'Like'}
            onClick={like.toggle}
          >
            <HeartIcon filled={like.liked} />
          </button>
        ) : (
          <Link className="icon-button like-button" to="/signin" aria-label="Sign in to like">
            <HeartIcon filled={false} />
          </Link>
        )}
        <Link className="icon-button" to={`/p/${post.id}#comments`} aria-label="Comments">
          <CommentIcon />
        </Link>
        <span className="post-counts small">
          <strong>{plural(like.likeCount, 'like', 'likes')}</strong>
          {post.commentCount > 0 ? (
            <Link to={`/p/${post.id}#comments`} className="muted">
              {' · '}
              {plural(post.commentCount, 'comment', 'comments')}
            </Link>
          ) : null}
        </span>
      </div>
      {like.error ? (
        <p className="field-error post-error" role="alert">
          {like.error}
        </p>
      ) : null}
      {post.caption ? (
        <p className="post-caption">
          <Link to={`/u/${post.author.username}`}>
            <strong>{post.author.username}</strong>
          </Link>{' '}
          <RichText text={post.caption} />
        </p>
      ) : null}
    </article>
  );
}
