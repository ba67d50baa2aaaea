import { z } from 'zod';
import { decimalId } from './ids';
import { input } from './input';
import { PageFields, PageInput } from './pagination';
import { text } from './text';
import { Id, UserSummary } from './users';

export const CAPTION_MAX = 2_200;
export const ALT_TEXT_MAX = 1_500;
export const MAX_UPLOAD_BYTES_DEFAULT = 10 * 1024 * 1024;
/** The image types Photogram decodes; checked on the bytes, not the name. */
export const ACCEPTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
] as const;

export const PostMessages = {
  imageRequired: 'Choose a photo to upload.',
  imageEmpty: 'That file is empty. Choose a photo.',
  notAnImage:
    'That file is not an image we can read. Upload a JPEG, PNG, WebP, AVIF or HEIC photo.',
  imageTooLarge: (maxBytes: number) => `Photos can be at most ${formatMegabytes(maxBytes)}.`,
  tooManyPixels: (maxPixels: number) =>
    `That image is too large: photos can have at most ${Math.round(maxPixels / 1_000_000)} megapixels.`,
  /** `kind` as a person names it: "progressive JPEG", "interlaced PNG", "AVIF or HEIC image". */
  tooLargeToDecode: (kind: string, maxPixels: number) =>
    `That image is too large for us to process: a ${kind} can have at most ${Math.max(1, Math.floor(maxPixels / 1_000_000))} megapixels. Save it smaller, or as a standard JPEG, and try again.`,
  /** A header that claims far more pixels than the file's bytes could hold (a decompression bomb). */
  implausiblePixels: (pixels: number, bytes: number) =>
    `That file says it is a ${Math.round(pixels / 1_000_000)}-megapixel image but holds only ${formatMegabytes(bytes)}, so it is not a photo we can accept. Upload the original photo.`,
  uploadsInProgress: (limit: number, retryAfterSeconds: number) =>
    `You already have ${limit} ${limit === 1 ? 'upload' : 'uploads'} in progress. Try again in ${secondsInWords(retryAfterSeconds)}, when one has finished.`,
  uploadsFromAddress: (retryAfterSeconds: number) =>
    `Too many uploads are in progress from your network. Try again in ${secondsInWords(retryAfterSeconds)}.`,
  serverBusy: (retryAfterSeconds: number) =>
    `Photogram is busy with other photos right now. Try again in ${secondsInWords(retryAfterSeconds)}.`,
  captionTooLong: `Captions can be at most ${CAPTION_MAX.toLocaleString('en-US')} characters.`,
  altTextTooLong: `Alt text can be at most ${ALT_TEXT_MAX.toLocaleString('en-US')} characters.`,
  postNotFound: 'That post does not exist or was deleted.',
  invalidPostId: 'That post id is not valid.',
  notYourPost: 'Only the author can delete a post.',
} as const;

function secondsInWords(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  return whole === 1 ? '1 second' : `${whole} seconds`;
}

export function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/** Captions are multi-line: line breaks and tabs are kept, other control characters refused. */
export const Caption = text({
  subject: 'Captions',
  multiline: true,
  params: { error: 'The caption must be text.' },
}).max(CAPTION_MAX, PostMessages.captionTooLong);

/**
 * What the photo shows, for people who cannot see it: the image's `alt`. One paragraph
 * (a screen reader reads it in one go), so no line breaks.
 */
export const AltText = text({
  subject: 'Alt text',
  params: { error: 'The alt text must be text.' },
}).max(ALT_TEXT_MAX, PostMessages.altTextTooLong);

/** An uploaded image file (a post's photo, a profile photo) of at most `maxBytes`. */
export function imageField(maxBytes: number = MAX_UPLOAD_BYTES_DEFAULT) {
  return z
    .instanceof(File, { error: PostMessages.imageRequired })
    .refine((file) => file.size > 0, PostMessages.imageEmpty)
    .refine((file) => file.size <= maxBytes, PostMessages.imageTooLarge(maxBytes));
}

/**
 * The upload form's fields. Build it with `uploadFields(maxBytes)` where the limit is
 * configurable; the byte check here is the friendly one, the server also stops reading
 * a body that is too large.
 */
export function uploadFields(maxBytes: number = MAX_UPLOAD_BYTES_DEFAULT) {
  return z.object(
    {
      image: imageField(maxBytes),
      caption: Caption.default(''),
      altText: AltText.default(''),
    },
    { error: PostMessages.imageRequired },
  );
}

/** `posts.upload`'s input: multipart `FormData` with `image` (a File), `caption` and `altText`. */
export function uploadPostInput(maxBytes: number = MAX_UPLOAD_BYTES_DEFAULT) {
  return z.preprocess(
    (input) =>
      input instanceof FormData
        ? {
            image: input.get('image') ?? undefined,
            caption: input.get('caption') ?? undefined,
            altText: input.get('altText') ?? undefined,
          }
        : input,
    uploadFields(maxBytes),
  );
}

/** Post ids are decimal strings of the database's bigint ids. */
export const PostId = decimalId(PostMessages.invalidPostId);

export const PostIdInput = input({ postId: PostId });
export const PostsByUserInput = input({ ...PageFields, userId: Id });
export const FeedInput = PageInput;

export const PostImage = z.object({
  url: z.string(),
  thumbUrl: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});

export const Post = z.object({
  id: z.string(),
  author: UserSummary,
  caption: z.string(),
  /** The image's `alt`; empty when the author gave none. */
  altText: z.string(),
  createdAt: z.date(),
  image: PostImage,
  likeCount: z.number().int(),
  /** Whether the person asking likes it (false for anyone signed out). */
  likedByMe: z.boolean(),
  commentCount: z.number().int(),
});
export type Post = z.infer<typeof Post>;

/** `posts.like` / `posts.unlike`: where the like stands afterwards. */
export const LikeResult = z.object({ liked: z.boolean(), likeCount: z.number().int() });
export type LikeResult = z.infer<typeof LikeResult>;
export const LikersInput = input({ ...PageFields, postId: PostId });

/**
 * What `posts.upload` accepts on this server (`posts.limits`): the byte limit is
 * configuration (`MAX_UPLOAD_BYTES`), so a form checks a file against this, not against
 * the default.
 */
export const UploadLimits = z.object({
  maxUploadBytes: z.number().int().positive(),
  maxCaptionLength: z.number().int().positive(),
  acceptedImageTypes: z.array(z.enum(ACCEPTED_IMAGE_TYPES)),
});
export type UploadLimits = z.infer<typeof UploadLimits>;
