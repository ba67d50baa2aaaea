import type { Profile } from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { describeError, trpc } from '../../lib/trpc';

function BellIcon({ on }: { on: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path
        d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15zM10 20a2 2 0 0 0 4 0"
        fill={on ? 'currentColor' : 'none'}
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinejoin="round"
      />
      {on ? null : <path d="M4 4l16 16" stroke="currentColor" strokeWidth="1.8" />}
    </svg>
  );
}

/**
 * The bell beside Following: whether this person's photos reach your inbox and toasts.
 * Off, they still reach your feed. New follows start with it on.
 */
export function NotifyBell({ profile }: { profile: Profile }) {
  const queryClient = useQueryClient();
  const key = trpc.users.byUsername.queryKey({ username: profile.username });
  const set = useMutation(
    trpc.follows.setNotify.mutationOptions({
      onMutate: async ({ notify }) => {
        await queryClient.cancelQueries({ queryKey: key });
        queryClient.setQueryData(key, (old) => (old ? { ...old, notify } : old));
      },
      onError: () => {
        queryClient.setQueryData(key, (old) => (old ? { ...old, notify: profile.notify } : old));
      },
      onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
    }),
  );
  const on = profile.notify;
  return (
    <>
      <button
        type="button"
        className={`button bell-button${on ? ' on' : ''}`}
        aria-pressed={on}
        aria-label={on ? 'Notifications on' : 'Notifications off'}
        title={
          on
            ? `You are notified when @${profile.username} shares a photo`
            : `@${profile.username}'s photos reach your feed only`
        }
        disabled={set.isPending}
        onClick={() => set.mutate({ userId: profile.id, notify: !on })}
      >
        <BellIcon on={on} />
      </button>
      {set.isError ? (
        <p className="field-error" role="alert">
          {describeError(set.error).message}
        </p>
      ) : null}
    </>
  );
}
