import type { Profile } from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { trpc } from '../../lib/trpc';

/** Follow / Following; the profile's counts update as soon as the server agrees. */
export function FollowButton({ profile }: { profile: Profile }) {
  const queryClient = useQueryClient();
  const settle = async () => {
    await queryClient.invalidateQueries({
      queryKey: trpc.users.byUsername.queryKey({ username: profile.username }),
    });
    await queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
  };
  const follow = useMutation(trpc.follows.follow.mutationOptions({ onSettled: settle }));
  const unfollow = useMutation(trpc.follows.unfollow.mutationOptions({ onSettled: settle }));
  const pending = follow.isPending || unfollow.isPending;
  if (profile.isFollowing) {
    return (
      <button
        type="button"
        className="button"
        disabled={pending}
        onClick={() => unfollow.mutate({ userId: profile.id })}
      >
        Following
      </button>
    );
  }
  return (
    <button
      type="button"
      className="button primary"
      disabled={pending}
      onClick={() => follow.mutate({ userId: profile.id })}
    >
      Follow
    </button>
  );
}
