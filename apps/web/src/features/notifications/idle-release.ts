/** How long every tab of a browser must be hidden before the leader closes its stream. */
export const IDLE_RELEASE_MS = 5 * 60_000;

/**
 * A shorter idle time for the end-to-end test, which cannot wait five minutes: a positive
 * number of milliseconds under this localStorage key, read once when the app starts.
 */
export const IDLE_RELEASE_OVERRIDE_KEY = 'photogram:idle-release-ms';

function readIdleReleaseMs(): number {
  try {
    const override = Number(globalThis.localStorage?.getItem(IDLE_RELEASE_OVERRIDE_KEY));
    return Number.isFinite(override) && override > 0 ? override : IDLE_RELEASE_MS;
  } catch (error: unknown) {
    // Storage can be off (privacy settings); the default holds.
    console.debug('No idle-release override', error);
    return IDLE_RELEASE_MS;
  }
}

export const idleReleaseMs = readIdleReleaseMs();
