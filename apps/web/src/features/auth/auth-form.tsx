import {
  type Me,
  PASSWORD_MIN,
  SignInInput,
  SignUpInput,
  USERNAME_MAX,
  USERNAME_MIN,
} from '@photogram/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { z } from 'zod';
import { Field } from '../../components/field';
import { describeError, trpc } from '../../lib/trpc';
import { switchPerson } from './use-me';

type Mode = 'signUp' | 'signIn';

/**
 * Where to go after signing in: the page a guard sent the person away from. History
 * state is outside data (any script can push it), so only a same-site path is accepted.
 */
/** Where a person sent to sign in was going (`state.from`), if it is a path of ours. */
export function returnPath(state: unknown): string {
  if (state && typeof state === 'object' && 'from' in state) {
    const { from } = state;
    if (typeof from === 'string' && from.startsWith('/') && !from.startsWith('//')) return from;
  }
  return '/';
}

function firstMessages(fieldErrors: Record<string, string[] | undefined>) {
  return Object.fromEntries(
    Object.entries(fieldErrors).flatMap(([name, messages]) =>
      messages?.[0] ? [[name, messages[0]]] : [],
    ),
  );
}

/** Sign-up and sign-in: checked with the shared schemas before anything is sent. */
export function AuthForm({ mode }: { mode: Mode }) {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  // Keyboard and screen-reader users land on the field that needs fixing.
  function showFieldErrors(errors: Record<string, string>) {
    setFields(errors);
    const [first] = Object.keys(errors);
    const input = first ? formRef.current?.elements.namedItem(first) : null;
    if (input instanceof HTMLInputElement) input.focus();
  }

  const onSuccess = ({ user }: { user: Me }) => {
    // Cached queries belong to whoever was signed in before (or nobody).
    switchPerson(queryClient, user);
    navigate(returnPath(location.state), { replace: true });
  };
  const onError = (error: unknown) => {
    const described = describeError(error);
    showFieldErrors(described.fields);
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
      showFieldErrors(firstMessages(z.flattenError(parsed.error).fieldErrors));
      return;
    }
    setFields({});
    if (mode === 'signUp') signUp.mutate(values);
    else signIn.mutate(values);
  }

  const signingUp = mode === 'signUp';
  return (
    <div className="auth-page">
      <title>{signingUp ? 'Sign up · Photogram' : 'Sign in · Photogram'}</title>
      <form className="card auth-card" ref={formRef} onSubmit={submit} noValidate>
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
          hint={
            signingUp ? `${USERNAME_MIN}–${USERNAME_MAX} letters, numbers, "_" or "."` : undefined
          }
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
          hint={signingUp ? `At least ${PASSWORD_MIN} characters` : undefined}
        />
        <button className="button primary block" type="submit" disabled={pending}>
          {pending ? 'One moment…' : signingUp ? 'Create account' : 'Sign in'}
        </button>
        <p className="muted center">
          {signingUp ? (
            <>
              Already have an account?{' '}
              <Link to="/signin" state={location.state}>
                Sign in
              </Link>
            </>
          ) : (
            <>
              New to Photogram?{' '}
              <Link to="/signup" state={location.state}>
                Create an account
              </Link>
            </>
          )}
        </p>
      </form>
    </div>
  );
}
