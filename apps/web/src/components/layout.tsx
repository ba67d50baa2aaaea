import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, NavLink, Outlet, ScrollRestoration, useNavigate } from 'react-router';
import { switchPerson, useMe } from '../features/auth/use-me';
import { Bell } from '../features/notifications/bell';
import {
  NotificationsProvider,
  useNotifications,
} from '../features/notifications/notifications-provider';
import { Toasts } from '../features/notifications/toasts';
import { trpc } from '../lib/trpc';
import { Avatar } from './avatar';

function ConnectionMarker() {
  const { reconnecting } = useNotifications();
  if (!reconnecting) return null;
  return (
    <span className="connection" role="status">
      reconnecting…
    </span>
  );
}

function Header() {
  const { me, isLoading } = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        switchPerson(queryClient, null);
        navigate('/signin');
      },
    }),
  );
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to="/" className="wordmark" aria-label="Photogram home">
          Photogram
        </Link>
        <ConnectionMarker />
        <nav className="nav" aria-label="Main">
          {isLoading ? null : me ? (
            <>
              <NavLink to="/search" className="icon-button" aria-label="Search" title="Search">
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                  <path
                    d="M10.5 3a7.5 7.5 0 0 1 5.96 12.06l4.74 4.74-1.4 1.4-4.74-4.74A7.5 7.5 0 1 1 10.5 3Zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11Z"
                    fill="currentColor"
                  />
                </svg>
              </NavLink>
              <NavLink to="/upload" className="button primary small-button compact">
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                  <path d="M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6Z" fill="currentColor" />
                </svg>
                <span className="nav-label">New post</span>
              </NavLink>
              <Bell />
              <Link to={`/u/${me.username}`} className="me" title={`@${me.username}`}>
                <Avatar user={me} size={30} />
                <span className="me-names nav-label">
                  <span className="me-name">{me.displayName}</span>
                  <span className="muted me-handle">@{me.username}</span>
                </span>
              </Link>
              <NavLink
                to="/settings"
                className="icon-button"
                aria-label="Settings"
                title="Settings"
              >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                  <path
                    d="M19.14 12.94a7.49 7.49 0 0 0 0-1.88l2.03-1.58-1.92-3.32-2.39.96a7.03 7.03 0 0 0-1.63-.94L14.87 3.6h-3.84l-.36 2.58c-.58.23-1.13.55-1.63.94l-2.39-.96-1.92 3.32 2.03 1.58a7.49 7.49 0 0 0 0 1.88l-2.03 1.58 1.92 3.32 2.39-.96c.5.39 1.05.71 1.63.94l.36 2.58h3.84l.36-2.58c.58-.23 1.13-.55 1.63-.94l2.39.96 1.92-3.32ZM12.95 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z"
                    fill="currentColor"
                  />
                </svg>
              </NavLink>
              <button
                type="button"
                className="button ghost small-button compact"
                title="Sign out"
                disabled={signOut.isPending}
                onClick={() => signOut.mutate()}
              >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                  <path
                    d="M14 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h9v-2H5V5h9Zm1.6 4.6L17 6.2l5.8 5.8-5.8 5.8-1.4-1.4 3.4-3.4H9v-2h10Z"
                    fill="currentColor"
                  />
                </svg>
                <span className="nav-label">Sign out</span>
              </button>
            </>
          ) : (
            <>
              <NavLink to="/signin" className="button ghost small-button">
                Sign in
              </NavLink>
              <NavLink to="/signup" className="button primary small-button">
                Sign up
              </NavLink>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}

/** The frame around every page: header, live notifications, toasts. */
export function Layout() {
  const { me } = useMe();
  return (
    <NotificationsProvider userId={me?.id ?? null}>
      <Header />
      <main className="page">
        <Outlet />
      </main>
      <Toasts />
      <ScrollRestoration />
    </NotificationsProvider>
  );
}
