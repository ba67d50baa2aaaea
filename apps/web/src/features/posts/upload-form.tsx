import {
  ACCEPTED_IMAGE_TYPES,
  ALT_TEXT_MAX,
  CAPTION_MAX,
  formatMegabytes,
  uploadFields,
} from '@photogram/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { z } from 'zod';
import { describeError, trpc, uploadClient } from '../../lib/trpc';

/** Pick or drop a photo, see it, caption it, watch it go up. */
export function UploadForm() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [caption, setCaption] = useState('');
  const [altText, setAltText] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [dragging, setDragging] = useState(false);
  // This server's byte limit (`MAX_UPLOAD_BYTES`). Until it is known the form leaves the
  // size to the server, which checks it anyway.
  const limits = useQuery({
    ...trpc.posts.limits.queryOptions(),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const maxBytes = limits.data?.maxUploadBytes;
  const fields = useMemo(() => uploadFields(maxBytes ?? Number.POSITIVE_INFINITY), [maxBytes]);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  function choose(next: File | undefined) {
    if (!next) return;
    setFile(next);
    setFormError(null);
    const check = fields.shape.image.safeParse(next);
    setErrors((current) => {
      const { image: _image, ...rest } = current;
      return check.success ? rest : { ...rest, image: check.error.issues[0]?.message ?? '' };
    });
  }

  function onDrop(event: DragEvent<HTMLLabelElement>) {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0]);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = fields.safeParse({ image: file ?? undefined, caption, altText });
    if (!parsed.success) {
      const flat = z.flattenError(parsed.error).fieldErrors;
      setErrors({
        ...(flat.image?.[0] ? { image: flat.image[0] } : {}),
        ...(flat.caption?.[0] ? { caption: flat.caption[0] } : {}),
        ...(flat.altText?.[0] ? { altText: flat.altText[0] } : {}),
      });
      return;
    }
    setErrors({});
    setFormError(null);
    setProgress(0);
    const form = new FormData();
    form.set('image', parsed.data.image);
    form.set('caption', parsed.data.caption);
    form.set('altText', parsed.data.altText);
    try {
      const post = await uploadClient(setProgress).posts.upload.mutate(form);
      await queryClient.invalidateQueries({ queryKey: trpc.feed.list.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.posts.byUser.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.users.byUsername.pathKey() });
      navigate(`/p/${post.id}`);
    } catch (error: unknown) {
      const described = describeError(error);
      setErrors(described.fields);
      setFormError(described.message);
      setProgress(null);
    }
  }

  const uploading = progress !== null;
  return (
    <form className="card upload-card" onSubmit={submit} noValidate>
      <h1>New post</h1>
      {formError ? (
        <div className="alert" role="alert">
          {formError}
        </div>
      ) : null}
      <label
        htmlFor={inputId}
        className={`dropzone${dragging ? ' dragging' : ''}${preview ? ' has-preview' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {preview ? (
          <img src={preview} alt="Preview of your upload" className="preview" />
        ) : (
          <span>
            <strong>Drag a photo here</strong>
            <span className="muted"> or click to choose one</span>
            <span className="muted small block">
              JPEG, PNG, WebP, AVIF or HEIC
              {maxBytes === undefined ? '' : ` · up to ${formatMegabytes(maxBytes)}`}
            </span>
          </span>
        )}
      </label>
      <input
        id={inputId}
        className="visually-hidden"
        type="file"
        name="image"
        aria-label="Photo"
        accept={ACCEPTED_IMAGE_TYPES.join(',')}
        onChange={(event) => choose(event.currentTarget.files?.[0])}
        aria-invalid={errors.image ? true : undefined}
      />
      {errors.image ? <p className="field-error">{errors.image}</p> : null}
      <div className="field">
        <label htmlFor={`${inputId}-caption`}>Caption</label>
        <textarea
          id={`${inputId}-caption`}
          name="caption"
          rows={3}
          value={caption}
          onChange={(event) => setCaption(event.currentTarget.value)}
          aria-invalid={errors.caption ? true : undefined}
          placeholder="Say something about this photo"
        />
        <p className={`field-hint${caption.length > CAPTION_MAX ? ' over' : ''}`}>
          {caption.length.toLocaleString()} / {CAPTION_MAX.toLocaleString()}
        </p>
        {errors.caption ? <p className="field-error">{errors.caption}</p> : null}
      </div>
      <div className="field">
        <label htmlFor={`${inputId}-alt`}>Alt text</label>
        <textarea
          id={`${inputId}-alt`}
          name="altText"
          rows={2}
          value={altText}
          // One paragraph: a screen reader reads it in one go.
          onChange={(event) => setAltText(event.currentTarget.value.replace(/[\r\n]+/g, ' '))}
          aria-invalid={errors.altText ? true : undefined}
          aria-describedby={`${inputId}-alt-hint`}
          placeholder="Describe the photo for people who can't see it"
        />
        <p
          id={`${inputId}-alt-hint`}
          className={`field-hint${altText.length > ALT_TEXT_MAX ? ' over' : ''}`}
        >
          What is in the picture, as you would tell a friend on the phone ·{' '}
          {altText.length.toLocaleString()} / {ALT_TEXT_MAX.toLocaleString()}
        </p>
        {errors.altText ? <p className="field-error">{errors.altText}</p> : null}
      </div>
      {uploading ? (
        <div className="progress">
          <progress max={1} value={progress} aria-label="Upload progress" />
          <span className="small muted">
            {progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : 'Processing…'}
          </span>
        </div>
      ) : null}
      <button className="button primary block" type="submit" disabled={uploading}>
        {uploading ? 'Sharing…' : 'Share'}
      </button>
    </form>
  );
}
