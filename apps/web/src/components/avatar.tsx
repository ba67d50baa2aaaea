import type { UserSummary } from '@photogram/contracts';

const palette = ['#e4572e', '#17bebb', '#ffc914', '#76b041', '#7a5195', '#ef5675', '#2e86ab'];

/** The person's picture, or their initial on a colour derived from their id. */
export function Avatar({ user, size = 36 }: { user: UserSummary; size?: number }) {
  if (user.avatarUrl) {
    return <img className="avatar" src={user.avatarUrl} alt="" width={size} height={size} />;
  }
  let hash = 0;
  for (const char of user.id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const initial = (user.displayName || user.username).trim().charAt(0).toUpperCase() || '?';
  return (
    <span
      className="avatar placeholder"
      aria-hidden="true"
      style={{
        width: size,
        height: size,
        fontSize: size * 0.45,
        background: palette[hash % palette.length],
      }}
    >
      {initial}
    </span>
  );
}
