import { COMMENT_MAX, type Comment, type Post } from '@photogram/contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { Avatar } from '../../components/avatar';
import { RichText } from '../../components/rich-text';
import { TimeAgo } from '../../components/time-ago';
import { describeError, trpc } from '../../lib/trpc';
import { useMe } from '../auth/use-me';

/** A post's conversation, oldest first, with a form to add to it. */
export function Comments({ post }: { post: Post }) {
  const { me } = useMe();
  const queryClient = useQueryClient();
  const comments = useInfiniteQuery(
    trpc.comments.list.infiniteQueryOptions(
      { postId: post.id, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.comments.list.pathKey() });
    // The post's count, wherever it is shown.
    await queryClient.invalidateQueries({ queryKey: trpc.posts.byId.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
  };
  const items = comments.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="card comments" id="comments" aria-label="Comments">
      <h2 className="comments-title">Comments</h2>
      {comments.isPending ? <p className="muted">Loading comments…</p> : null}
      {comments.isError ? <p className="alert">Could not load the comments.</p> : null}
      {comments.isSuccess && items.length === 0 ? (
        <p className="muted">No comments yet.{me ? ' Say something nice.' : ''}</p>
      ) : null}
      <ul className="comment-list">
        {items.map((comment) => (
          <CommentItem
            key={comment.id}
            comment={comment}
            canDelete={me?.id === comment.author.id || me?.id === post.author.id}
            onDeleted={refresh}
          />
        ))}
      </ul>
      {comments.hasNextPage ? (
        <button
          type="button"
          className="link"
          disabled={comments.isFetchingNextPage}
          onClick={() => void comments.fetchNextPage()}
        >
          Show more comments
        </button>
      ) : null}
      {me ? (
        <CommentForm postId={post.id} onAdded={refresh} />
      ) : (
        <p className="muted">
          <Link to="/signin">Sign in</Link> to comment.
        </p>
      )}
    </section>
  );
}

function CommentItem({
  comment,
  canDelete,
  onDeleted,
}: {
  comment: Comment;
  canDelete: boolean;
  onDeleted: () => Promise<void>;
}) {
  const remove = useMutation(trpc.comments.delete.mutationOptions({ onSuccess: onDeleted }));
  return (
    <li className="comment">
      <Link to={`/u/${comment.author.username}`} aria-hidden="true" tabIndex={-1}>
        <Avatar user={comment.author} size={32} />
      </Link>
      <div className="comment-main">
        <p className="comment-body">
          <Link to={`/u/${comment.author.username}`}>
            <strong>{comment.author.username}</strong>
          </Link>{' '}
          <RichText text={comment.body} />
        </p>
        <p className="muted small comment-meta">
          <TimeAgo date={comment.createdAt} />
          {canDelete ? (
            <>
              {' · '}
              <button
                type="button"
                className="link muted-link"
                disabled={remove.isPending}
                onClick={() => remove.mutate({ commentId: comment.id })}
              >
                Delete
              </button>
            </>
          ) : null}
        </p>
        {remove.isError ? (
          <p className="field-error" role="alert">
            {describeError(remove.error).message}
          </p>
        ) : null}
      </div>
    </li>
  );
}

function CommentForm({ postId, onAdded }: { postId: string; onAdded: () => Promise<void> }) {
  const id = useId();
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = useMutation(trpc.comments.add.mutationOptions());
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (body.trim() === '') return;
    setError(null);
    try {
      await add.mutateAsync({ postId, body });
      setBody('');
      await onAdded();
    } catch (cause: unknown) {
      setError(describeError(cause).message);
    }
  }
  const over = body.length > COMMENT_MAX;
  return (
    <form className="comment-form" onSubmit={submit} noValidate>
      <label htmlFor={id} className="visually-hidden">
        Add a comment
      </label>
      <textarea
        id={id}
        className="comment-input"
        rows={1}
        placeholder="Add a comment…"
        title="@name mentions someone"
        value={body}
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={(event) => {
          // Enter posts, Shift+Enter starts a new line, as in every chat box.
          if (event.key === 'Enter' && !event.shiftKey) {
            event.preventDefault();
            event.currentTarget.form?.requestSubmit();
          }
        }}
        aria-invalid={error !== null || over}
        aria-describedby={`${id}-hint`}
      />
      <button
        type="submit"
        className="button primary small-button"
        disabled={add.isPending || body.trim() === '' || over}
      >
        Post
      </button>
      <p id={`${id}-hint`} className={`field-hint comment-hint${over ? ' over' : ''}`}>
        {error ?? (body.length > COMMENT_MAX * 0.8 ? `${body.length} / ${COMMENT_MAX}` : '')}
      </p>
    </form>
  );
}
