import { ACCEPTED_IMAGE_TYPES, updateAvatarInput } from '@photogram/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Avatar } from '../../components/avatar';
import { describeError, trpc, uploadClient } from '../../lib/trpc';
import { useMe } from '../auth/use-me';

/** Choose, replace or remove the photo shown wherever you appear. */
export function ProfilePhoto() {
  const { me } = useMe();
  const queryClient = useQueryClient();
  const inputId = useId();
  const limits = useQuery({
    ...trpc.posts.limits.queryOptions(),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  // Everything showing a person (feed, inbox, comments) may show this one.
  const refresh = () => queryClient.invalidateQueries();
  const remove = useMutation(
    trpc.users.removeAvatar.mutationOptions({
      onSuccess: refresh,
      onError: (cause) => setError(describeError(cause).message),
    }),
  );
  if (!me) return null;

  async function choose(file: File | undefined) {
    if (!file) return;
    setError(null);
    const checked = updateAvatarInput(
      limits.data?.maxUploadBytes ?? Number.POSITIVE_INFINITY,
    ).safeParse({ image: file });
    if (!checked.success) {
      setError(checked.error.issues[0]?.message ?? 'That file cannot be used.');
      return;
    }
    const form = new FormData();
    form.set('image', file);
    setProgress(0);
    try {
      await uploadClient(setProgress).users.updateAvatar.mutate(form);
      await refresh();
    } catch (cause: unknown) {
      setError(describeError(cause).message);
    } finally {
      setProgress(null);
    }
  }

  const busy = progress !== null || remove.isPending;
  return (
    <section className="card settings-card profile-photo" aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`}>Profile photo</h2>
      <div className="profile-photo-row">
        <Avatar user={{ ...me, avatarUrl: me.avatarLargeUrl }} size={72} />
        <div className="profile-photo-actions">
          <label className="button" htmlFor={inputId} aria-disabled={busy}>
            {me.avatarUrl ? 'Change photo' : 'Choose a photo'}
          </label>
          <input
            id={inputId}
            className="visually-hidden"
            type="file"
            accept={ACCEPTED_IMAGE_TYPES.join(',')}
            disabled={busy}
            onChange={(event) => {
              void choose(event.currentTarget.files?.[0]);
              event.currentTarget.value = '';
            }}
          />
          {me.avatarUrl ? (
            <button
              type="button"
              className="button ghost danger"
              disabled={busy}
              onClick={() => remove.mutate()}
            >
              Remove
            </button>
          ) : null}
        </div>
      </div>
      <p className="muted small">
        {progress !== null
          ? progress < 1
            ? `Uploading… ${Math.round(progress * 100)}%`
            : 'Processing…'
          : 'Cropped to a square from the middle. Location and camera details are removed.'}
      </p>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
