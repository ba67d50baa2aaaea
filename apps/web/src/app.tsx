import { QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Layout } from './components/layout';
import { queryClient } from './lib/trpc';
import { SignInRoute, SignUpRoute } from './routes/auth';
import { HomeRoute } from './routes/home';
import { NotFoundRoute } from './routes/not-found';
import { NotificationsRoute } from './routes/notifications';
import { PostRoute } from './routes/post';
import { ProfileRoute } from './routes/profile';
import { SearchRoute } from './routes/search';
import { SettingsRoute } from './routes/settings';
import { UploadRoute } from './routes/upload';

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomeRoute /> },
      { path: '/signin', element: <SignInRoute /> },
      { path: '/signup', element: <SignUpRoute /> },
      { path: '/upload', element: <UploadRoute /> },
      { path: '/u/:username', element: <ProfileRoute /> },
      { path: '/p/:postId', element: <PostRoute /> },
      { path: '/search', element: <SearchRoute /> },
      { path: '/notifications', element: <NotificationsRoute /> },
      { path: '/settings', element: <SettingsRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
