import { RequireSignedIn } from '../components/guards';
import { NotificationList } from '../features/notifications/notification-list';

export function NotificationsRoute() {
  return (
    <RequireSignedIn>
      <NotificationList />
    </RequireSignedIn>
  );
}
