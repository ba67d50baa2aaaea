import { RequireSignedOut } from '../components/guards';
import { AuthForm } from '../features/auth/auth-form';

export function SignInRoute() {
  return (
    <RequireSignedOut>
      <AuthForm mode="signIn" />
    </RequireSignedOut>
  );
}

export function SignUpRoute() {
  return (
    <RequireSignedOut>
      <AuthForm mode="signUp" />
    </RequireSignedOut>
  );
}
