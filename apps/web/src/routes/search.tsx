import { UserSearch } from '../features/users/user-search';

export function SearchRoute() {
  return <UserSearch />;
}
