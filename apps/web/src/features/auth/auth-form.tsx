import { type Me, SignInInput, SignUpInput } from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { z } from 'zod';
import { Field } from '../../components/field';
import { describeError, trpc } from '../../lib/trpc';

type Mode = 'signUp' | 'signIn';

/** Sign-up and sign-in: checked with the shared schemas before anything is sent. */
export function AuthForm({ mode }: { mode: Mode }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const onSuccess = ({ user }: { user: Me }) => {
    queryClient.clear();
    queryClient.setQueryData(trpc.auth.me.queryKey(), user);
    navigate('/', { replace: true });
  };
  const onError = (error: unknown) => {
    const described = describeError(error);
    setFields(described.fields);
    setFormError(Object.keys(described.fields).length > 0 ? null : described.message);
  };
  const signUp = useMutation(trpc.auth.signUp.mutationOptions({ onSuccess, onError }));
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess, onError }));
  const pending = signUp.isPending || signIn.isPending;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = {
      username: String(form.get('username') ?? ''),
      password: String(form.get('password') ?? ''),
      ...(mode === 'signUp' && form.get('displayName')
        ? { displayName: String(form.get('displayName')) }
        : {}),
    };
    const parsed = (mode === 'signUp' ? SignUpInput : SignInInput).safeParse(values);
    setFormError(null);
    if (!parsed.success) {
      const flat = z.flattenError(parsed.error).fieldErrors;
      setFields(
        Object.fromEntries(
          Object.entries(flat).flatMap(([name, messages]) =>
            Array.isArray(messages) && messages[0] ? [[name, messages[0]]] : [],
          ),
        ),
      );
      return;
    }
    setFields({});
    if (mode === 'signUp') signUp.mutate(values);
    else signIn.mutate(values);
  }

  const signingUp = mode === 'signUp';
  return (
    <div className="auth-page">
      <form className="card auth-card" onSubmit={submit} noValidate>
        <h1>{signingUp ? 'Create your account' : 'Welcome back'}</h1>
        <p className="muted">
          {signingUp
            ? 'Share photos with the people who follow you.'
            : 'Sign in to see what the people you follow shared.'}
        </p>
        {formError ? (
          <div className="alert" role="alert">
            {formError}
          </div>
        ) : null}
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          error={fields.username}
          hint={signingUp ? '3–30 letters, numbers, "_" or "."' : undefined}
        />
        {signingUp ? (
          <Field
            label="Display name (optional)"
            name="displayName"
            autoComplete="name"
            error={fields.displayName}
          />
        ) : null}
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete={signingUp ? 'new-password' : 'current-password'}
          error={fields.password}
          hint={signingUp ? 'At least 8 characters' : undefined}
        />
        <button className="button primary block" type="submit" disabled={pending}>
          {pending ? 'One moment…' : signingUp ? 'Create account' : 'Sign in'}
        </button>
        <p className="muted center">
          {signingUp ? (
            <>
              Already have an account? <Link to="/signin">Sign in</Link>
            </>
          ) : (
            <>
              New to Photogram? <Link to="/signup">Create an account</Link>
            </>
          )}
        </p>
      </form>
    </div>
  );
}
