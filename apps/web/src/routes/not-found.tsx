import { Link } from 'react-router';

export function NotFoundRoute() {
  return (
    <div className="card empty">
      <title>Page not found · Photogram</title>
      <h1>Page not found</h1>
      <p className="muted">The link may be broken, or the page may have been removed.</p>
      <Link to="/">Go home</Link>
    </div>
  );
}
