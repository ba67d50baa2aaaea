import type { UserSummary } from '@photogram/contracts';
import { Avatar } from '../../components/avatar';

/** Up to three people's avatars, overlapping, the newest on top at the left. */
export function ActorStack({ actors, size = 36 }: { actors: UserSummary[]; size?: number }) {
  const shown = actors.slice(0, 3);
  return (
    <span className={`actor-stack actors-${shown.length}`} aria-hidden="true">
      {shown.map((actor) => (
        <Avatar key={actor.id} user={actor} size={size} />
      ))}
    </span>
  );
}
