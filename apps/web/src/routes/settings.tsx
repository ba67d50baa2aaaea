import { RequireSignedIn } from '../components/guards';
import { ApiTokens } from '../features/settings/api-tokens';

export function SettingsRoute() {
  return (
    <RequireSignedIn>
      <ApiTokens />
    </RequireSignedIn>
  );
}
