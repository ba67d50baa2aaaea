import { RequireSignedIn } from '../components/guards';
import { ApiTokens } from '../features/settings/api-tokens';
import { ProfilePhoto } from '../features/settings/profile-photo';

export function SettingsRoute() {
  return (
    <RequireSignedIn>
      <div className="settings">
        <ProfilePhoto />
        <ApiTokens />
      </div>
    </RequireSignedIn>
  );
}
