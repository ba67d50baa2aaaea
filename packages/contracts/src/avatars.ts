import { z } from 'zod';
import { imageField, MAX_UPLOAD_BYTES_DEFAULT, PostMessages } from './posts';

/**
 * `users.updateAvatar`'s input: multipart `FormData` with `image`, the same files and
 * limits as a post's photo (it goes through the same pipeline, cropped square).
 */
export function updateAvatarInput(maxBytes: number = MAX_UPLOAD_BYTES_DEFAULT) {
  return z.preprocess(
    (input) => (input instanceof FormData ? { image: input.get('image') ?? undefined } : input),
    z.object({ image: imageField(maxBytes) }, { error: PostMessages.imageRequired }),
  );
}
