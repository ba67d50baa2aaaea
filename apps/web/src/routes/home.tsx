import { Link } from 'react-router';
import { useMe } from '../features/auth/use-me';
import { Feed } from '../features/posts/feed';

export function HomeRoute() {
  const { me, isLoading } = useMe();
  if (isLoading) return <p className="muted center">Loading…</p>;
  if (me) return <Feed />;
  return (
    <section className="landing">
      <h1>Share the moment.</h1>
      <p className="lead">
        Photogram is where your photos reach the people who follow you — the second you post them.
      </p>
      <div className="actions">
        <Link className="button primary" to="/signup">
          Create an account
        </Link>
        <Link className="button" to="/signin">
          Sign in
        </Link>
      </div>
    </section>
  );
}
