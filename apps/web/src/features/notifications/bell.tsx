import { useQuery } from '@tanstack/react-query';
import { NavLink } from 'react-router';
import { trpc } from '../../lib/trpc';

export function Bell() {
  const unread = useQuery(trpc.notifications.unreadCount.queryOptions());
  const count = unread.data?.count ?? 0;
  // Capped: the server counted only the newest of very many unread notifications.
  const more = unread.data?.capped === true;
  const label =
    count > 0 ? `Notifications, ${more ? 'at least ' : ''}${count} unread` : 'Notifications';
  return (
    <NavLink to="/notifications" className="icon-button bell" aria-label={label} title={label}>
      <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <path
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
          fill="currentColor"
        />
      </svg>
      {count > 0 ? (
        <span className="badge" data-testid="unread-badge">
          {count > 99 ? '99+' : more ? `${count}+` : count}
        </span>
      ) : null}
    </NavLink>
  );
}
