import type { Profile } from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Icon, IconPath } from '../../components/icon';
import { describeError, trpc } from '../../lib/trpc';

function BellIcon({ on }: { on: boolean }) {
  return (
    <Icon size={20}>
      <IconPath d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15zM10 20a2 2 0 0 0 4 0" filled={on} />
      {on ? null : <IconPath d="M4 4l16 16" />}
    </Icon>
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
