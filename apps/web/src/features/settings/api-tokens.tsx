import { CreateTokenInput } from '@photogram/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { TimeAgo } from '../../components/time-ago';
import { describeError, trpc } from '../../lib/trpc';

/** Create, see and revoke the tokens other apps and the CLI use to act as you. */
export function ApiTokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.auth.listTokens.queryOptions());
  const [nameError, setNameError] = useState<string | undefined>();
  const [fresh, setFresh] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.auth.listTokens.queryKey() });
  const create = useMutation(
    trpc.auth.createToken.mutationOptions({
      onSuccess: async (created) => {
        setFresh({ name: created.name, token: created.token });
        setCopied(false);
        await refresh();
      },
      onError: (error) =>
        setNameError(describeError(error).fields.name ?? describeError(error).message),
    }),
  );
  const revoke = useMutation(trpc.auth.revokeToken.mutationOptions({ onSuccess: refresh }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const parsed = CreateTokenInput.safeParse({
      name: String(new FormData(form).get('name') ?? ''),
    });
    if (!parsed.success) {
      setNameError(parsed.error.issues[0]?.message);
      return;
    }
    setNameError(undefined);
    create.mutate(parsed.data, { onSuccess: () => form.reset() });
  }

  return (
    <div className="card settings-card">
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let other apps and the <code>photogram</code> command line act as you. Treat them
        like passwords; revoke one and it stops working at once.
      </p>
      <form className="row token-form" onSubmit={submit} noValidate>
        <Field label="Token name" name="name" placeholder="e.g. laptop CLI" error={nameError} />
        <button type="submit" className="button primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {fresh ? (
        <div className="new-token" role="status">
          <p>
            <strong>{fresh.name}</strong> — copy it now, it will not be shown again:
          </p>
          <code className="token-value">{fresh.token}</code>
          <button
            type="button"
            className="button small-button"
            onClick={async () => {
              await navigator.clipboard.writeText(fresh.token);
              setCopied(true);
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      ) : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <table className="tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Created</th>
              <th>Last used</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <TimeAgo date={token.createdAt} />
                </td>
                <td>{token.lastUsedAt ? <TimeAgo date={token.lastUsedAt} /> : 'never'}</td>
                <td>
                  <button
                    type="button"
                    className="button danger small-button"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ tokenId: token.id })}
                    aria-label={`Revoke ${token.name}`}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : tokens.data ? (
        <p className="muted">You have no tokens yet.</p>
      ) : null}
    </div>
  );
}
