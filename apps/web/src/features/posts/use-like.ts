import type { Post } from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { describeError, trpc } from '../../lib/trpc';

interface LikeState {
  liked: boolean;
  likeCount: number;
}

/**
 * A post's like, optimistic: the heart and the count change at once, the server's answer
 * then replaces them, and a refusal puts back what was there and says why.
 */
export function useLike(post: Post) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LikeState>({
    liked: post.likedByMe,
    likeCount: post.likeCount,
  });
  const [error, setError] = useState<string | null>(null);
  // Fresh data from the server (a refetch, another tab's change) wins when nothing is pending.
  const pending = useRef(0);
  useEffect(() => {
    if (pending.current === 0) setState({ liked: post.likedByMe, likeCount: post.likeCount });
  }, [post.likedByMe, post.likeCount]);

  const settle = () => {
    pending.current -= 1;
    if (pending.current === 0) {
      void queryClient.invalidateQueries({ queryKey: trpc.posts.likers.pathKey() });
    }
  };
  const options = {
    onSuccess: (result: LikeState) => {
      if (pending.current === 1) setState(result);
    },
    onSettled: settle,
  };
  const like = useMutation(trpc.posts.like.mutationOptions(options));
  const unlike = useMutation(trpc.posts.unlike.mutationOptions(options));

  function set(liked: boolean) {
    if (liked === state.liked) return;
    const before = state;
    setError(null);
    setState({ liked, likeCount: Math.max(0, state.likeCount + (liked ? 1 : -1)) });
    pending.current += 1;
    (liked ? like : unlike).mutate(
      { postId: post.id },
      {
        onError: (cause) => {
          setState(before);
          setError(describeError(cause).message);
        },
      },
    );
  }

  return {
    ...state,
    error,
    toggle: () => set(!state.liked),
    /** A double tap likes (it never unlikes, as people expect from photo apps). */
    like: () => set(true),
  };
}
