import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Avatar } from '../../components/avatar';
import { trpc } from '../../lib/trpc';

/** Find people by username or name; the query lives in the URL so it can be shared. */
export function UserSearch() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const [query, setQuery] = useState(text.trim());
  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(text.trim());
      setParams(text.trim() ? { q: text.trim() } : {}, { replace: true });
    }, 200);
    return () => clearTimeout(timer);
  }, [text, setParams]);
  const results = useQuery({
    ...trpc.users.search.queryOptions({ query, limit: 20 }),
    enabled: query.length > 0,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="card search-card">
      <h1>Search</h1>
      <input
        type="search"
        className="search-input"
        aria-label="Search people"
        placeholder="Search by username or name"
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
        // biome-ignore lint/a11y/noAutofocus: the page exists to type a query
        autoFocus
      />
      {query && results.data ? (
        results.data.items.length > 0 ? (
          <ul className="people">
            {results.data.items.map((person) => (
              <li key={person.id}>
                <Link to={`/u/${person.username}`}>
                  <Avatar user={person} />
                  <span>
                    <strong>{person.displayName}</strong>
                    <span className="muted block">@{person.username}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No one matches “{query}”.</p>
        )
      ) : null}
    </div>
  );
}
