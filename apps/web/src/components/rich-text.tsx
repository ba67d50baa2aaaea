import { mentionSegments } from '@photogram/contracts';
import { Link } from 'react-router';

/** Text people wrote, with each `@username` a link to that profile (the server's own parse). */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {mentionSegments(text).map((segment, index) =>
        'username' in segment ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments never reorder
          <Link key={index} className="mention" to={`/u/${segment.username}`}>
            {segment.text}
          </Link>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments never reorder
          <span key={index}>{segment.text}</span>
        ),
      )}
    </>
  );
}
