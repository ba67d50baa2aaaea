import { useParams } from 'react-router';
import { ProfileView } from '../features/users/profile-view';

export function ProfileRoute() {
  const { username = '' } = useParams();
  return <ProfileView key={username} username={username} />;
}
