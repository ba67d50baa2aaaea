import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { useMe } from '../features/auth/use-me';
import { Comments } from '../features/comments/comments';
import { PostCard } from '../features/posts/post-card';
import { trpc } from '../lib/trpc';

export function PostRoute() {
  const { postId = '' } = useParams();
  const { me } = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const post = useQuery(trpc.posts.byId.queryOptions({ postId }));
  const remove = useMutation(
    trpc.posts.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        navigate(me ? `/u/${me.username}` : '/');
      },
    }),
  );
  if (post.isPending) return <p className="muted center">Loading…</p>;
  if (post.isError) {
    return (
      <div className="card empty">
        <h1>Photo not found</h1>
        <p className="muted">{post.error.message}</p>
        <Link to="/">Back to your feed</Link>
      </div>
    );
  }
  return (
    <div className="single-post">
      <PostCard post={post.data} priority />
      {me?.id === post.data.author.id ? (
        <p className="center">
          <button
            type="button"
            className="button danger"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm('Delete this photo? This cannot be undone.'))
                remove.mutate({ postId });
            }}
          >
            Delete photo
          </button>
        </p>
      ) : null}
      <Comments post={post.data} />
    </div>
  );
}
