/** The path a stored variant is served at (`GET /media/<key>`), relative to the server. */
export function mediaUrl(key: string): string {
  return `/media/${key}`;
}
