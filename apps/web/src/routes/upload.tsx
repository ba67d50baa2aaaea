import { RequireSignedIn } from '../components/guards';
import { UploadForm } from '../features/posts/upload-form';

export function UploadRoute() {
  return (
    <RequireSignedIn>
      <UploadForm />
    </RequireSignedIn>
  );
}
