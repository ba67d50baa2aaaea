import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
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

/** Sign-in and sign-up: someone already signed in goes home. */
export function RequireSignedOut({ children }: { children: ReactNode }) {
  const { me, isLoading } = useMe();
  if (isLoading) return <p className="muted center">Loading…</p>;
  if (me) return <Navigate to="/" replace />;
  return <>{children}</>;
}
