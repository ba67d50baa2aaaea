import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { returnPath } from '../features/auth/auth-form';
import { useMe } from '../features/auth/use-me';

/** Pages for signed-in people: others are sent to sign in. */
export function RequireSignedIn({ children }: { children: ReactNode }) {
  const { me, isLoading } = useMe();
  const location = useLocation();
  if (isLoading) return <p className="muted center">Loading…</p>;
  if (!me)
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/** Sign-in and sign-up: someone already signed in goes home, or back where they were going. */
export function RequireSignedOut({ children }: { children: ReactNode }) {
  const { me, isLoading } = useMe();
  const location = useLocation();
  if (isLoading) return <p className="muted center">Loading…</p>;
  // Just signed in here: on to where they were going (the form navigates there too).
  if (me) return <Navigate to={returnPath(location.state)} replace />;
  return <>{children}</>;
}
