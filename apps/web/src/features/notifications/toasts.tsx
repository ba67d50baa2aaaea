import type { Notification } from '@photogram/contracts';
import { useNavigate } from 'react-router';
import { Avatar } from '../../components/avatar';
import { useNotifications } from './notifications-provider';

/** Where a toast leads: the post it is about, or the new follower's profile. */
function toastTarget(notification: Notification): string {
  return notification.type === 'follow'
    ? `/u/${notification.actor.username}`
    : `/p/${notification.post.id}`;
}

/** The line under the sentence: what was written, or the new post's caption. */
function toastExcerpt(notification: Notification): string | null {
  switch (notification.type) {
    case 'comment':
      return notification.comment.body;
    case 'mention':
      return notification.comment?.body ?? (notification.post.caption || null);
    case 'upload':
      return notification.post.caption || null;
    default:
      return null;
  }
}

/**
 * Toasts for uploads, comments, mentions and follows (likes only move the badge), with
 * the person's face, announced politely to screen readers; a click opens what it is about.
 */
export function Toasts() {
  const { toasts, dismiss } = useNotifications();
  const navigate = useNavigate();
  return (
    <section className="toasts" aria-live="polite" aria-label="Notifications">
      {toasts.map((toast) => {
        const { notification } = toast;
        const excerpt = toastExcerpt(notification);
        return (
          <div key={toast.key} className="toast" role="status" data-type={notification.type}>
            <button
              type="button"
              className="toast-body"
              onClick={() => {
                dismiss(toast.key);
                navigate(toastTarget(notification));
              }}
            >
              <Avatar user={notification.actor} size={40} />
              <span className="toast-text">
                <strong>{toast.text}</strong>
                {excerpt ? <span className="muted block clamp">{excerpt}</span> : null}
              </span>
              {notification.type === 'follow' ? null : (
                <img
                  className="thumb"
                  src={notification.post.thumbUrl}
                  alt=""
                  width={48}
                  height={48}
                />
              )}
            </button>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss"
              onClick={() => dismiss(toast.key)}
            >
              ×
            </button>
          </div>
        );
      })}
    </section>
  );
}
