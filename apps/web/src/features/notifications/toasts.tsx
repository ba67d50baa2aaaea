import { useNavigate } from 'react-router';
import { useNotifications } from './notifications-provider';

/** New-upload toasts, announced politely to screen readers; a click opens the post. */
export function Toasts() {
  const { toasts, dismiss } = useNotifications();
  const navigate = useNavigate();
  return (
    <section className="toasts" aria-live="polite" aria-label="Notifications">
      {toasts.map((toast) => (
        <div key={toast.key} className="toast" role="status">
          <button
            type="button"
            className="toast-body"
            onClick={() => {
              dismiss(toast.key);
              navigate(`/p/${toast.notification.post.id}`);
            }}
          >
            <img src={toast.notification.post.thumbUrl} alt="" width={48} height={48} />
            <span>
              <strong>{toast.text}</strong>
              {toast.notification.post.caption ? (
                <span className="muted block clamp">{toast.notification.post.caption}</span>
              ) : null}
            </span>
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
      ))}
    </section>
  );
}
