/**
 * One live connection per browser: the tabs of one person elect a leader with a Web Lock,
 * the leader holds the event stream and relays each event to the other tabs on a
 * BroadcastChannel (see docs/decisions/008-one-live-connection-per-browser.md).
 *
 * The leader may hold several streams (uploads and activity); each counts its event ids
 * on its own, so the group keeps the newest id, and the ids seen, per stream.
 *
 * Pure logic: the browser APIs come in as arguments, so it runs under Node with a lock
 * manager written for the test.
 */

/** The part of `navigator.locks` used here. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode: 'exclusive'; signal?: AbortSignal },
    callback: () => Promise<unknown>,
  ): Promise<unknown>;
  query?(): Promise<{ held?: Array<{ name?: string }> }>;
}

/** The part of `BroadcastChannel` used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface Presence {
  visible: boolean;
  /** `Date.now()` of the tab's last focus, 0 if never focused. */
  focusedAt: number;
}

export interface RelayedEvent<T, S extends string = string> {
  /** The stream it came on: its `id` counts in that stream's sequence. */
  stream: S;
  id: string;
  data: T;
  /** True in exactly one tab per event: the one the person is looking at. */
  toast: boolean;
}

export interface TabGroupOptions<T, S extends string = string> {
  userId: string;
  tabId: string;
  /** `navigator.locks`; undefined where the browser has none (then every tab streams alone). */
  locks: LockManagerLike | undefined;
  /** Opens a `BroadcastChannel`; undefined where the browser has none. */
  openChannel: ((name: string) => ChannelLike) | undefined;
  /** How long every tab must have been hidden before the leader closes its stream. */
  idleMs: number;
  presence: Presence;
  /** Checks an event payload that came from another tab. */
  parseData(raw: unknown): T | null;
  /** The stream an event came on, told by its payload. */
  streamOf(data: T): S;
  /** A new event, once per tab (duplicates from replays and handovers are dropped). */
  onEvent(event: RelayedEvent<T, S>): void;
  /** This tab should open (true) or close (false) the event stream. */
  onStreamChange(active: boolean): void;
  /** The leader's stream is down and coming back. */
  onStatus(reconnecting: boolean): void;
  /** The stream came back after an idle let-go: what was cached may be stale. */
  onResumed(): void;
}

export interface TabGroup<T, S extends string = string> {
  readonly tabId: string;
  /** Where that stream should start: the newest of its event ids this tab knows, or null. */
  lastEventId(stream: S): string | null;
  /** Event ids of that stream already shown from a loaded list: never toast them again. */
  noteLoaded(stream: S, ids: readonly string[]): void;
  /** The leader hands over an event from one of its streams (told by `streamOf`). */
  deliver(id: string, data: T): void;
  setPresence(presence: Presence): void;
  /** The leader's stream went down or came back. */
  setStatus(reconnecting: boolean): void;
  /** Leaves the group: tells the others, releases the lock. */
  close(): void;
}

type Message<T> =
  | { type: 'event'; id: string; data: T; toastTab: string }
  | { type: 'presence'; tab: string; visible: boolean; focusedAt: number }
  | { type: 'gone'; tab: string }
  | { type: 'who' }
  | { type: 'status'; reconnecting: boolean }
  | { type: 'resumed' };

/** Event ids are per-recipient sequence numbers in decimal; longer is newer. */
export function isNewer(candidate: string, than: string | null): boolean {
  if (than === null) return true;
  if (candidate.length !== than.length) return candidate.length > than.length;
  return candidate > than;
}

/**
 * The tab that shows the toast: the visible tab focused last; if none is visible, the tab
 * focused last. Ties go to the smaller tab id, so every reader of the same map agrees.
 */
export function pickToastTab(tabs: ReadonlyMap<string, Presence>, fallback: string): string {
  let best: [string, Presence] | null = null;
  for (const entry of tabs) {
    if (!best) {
      best = entry;
      continue;
    }
    const [tab, p] = entry;
    const [bestTab, b] = best;
    if (p.visible !== b.visible) {
      if (p.visible) best = entry;
      continue;
    }
    if (p.focusedAt > b.focusedAt || (p.focusedAt === b.focusedAt && tab < bestTab)) best = entry;
  }
  return best?.[0] ?? fallback;
}

// Channel messages come from other tabs, possibly of another build: check their shape.
function parseMessage<T>(raw: unknown, parseData: (raw: unknown) => T | null): Message<T> | null {
  if (!raw || typeof raw !== 'object' || !('type' in raw)) return null;
  const m: Record<string, unknown> = { ...raw };
  switch (m.type) {
    case 'event': {
      const data = parseData(m.data);
      return typeof m.id === 'string' && typeof m.toastTab === 'string' && data !== null
        ? { type: 'event', id: m.id, data, toastTab: m.toastTab }
        : null;
    }
    case 'presence':
      return typeof m.tab === 'string' &&
        typeof m.visible === 'boolean' &&
        typeof m.focusedAt === 'number'
        ? { type: 'presence', tab: m.tab, visible: m.visible, focusedAt: m.focusedAt }
        : null;
    case 'gone':
      return typeof m.tab === 'string' ? { type: 'gone', tab: m.tab } : null;
    case 'status':
      return typeof m.reconnecting === 'boolean'
        ? { type: 'status', reconnecting: m.reconnecting }
        : null;
    case 'who':
    case 'resumed':
      return { type: m.type };
    default:
      return null;
  }
}

/** Joins this tab to the person's group of tabs (one group per user per browser profile). */
export function joinTabGroup<T, S extends string = string>(
  options: TabGroupOptions<T, S>,
): TabGroup<T, S> {
  const { tabId, locks, idleMs } = options;
  // Keyed by stream and id: upload 7 and activity 7 are different events.
  const seen = new Set<string>();
  const lastIds = new Map<S, string>();
  let presence = options.presence;
  let closed = false;

  const remember = (stream: S, id: string) => {
    if (isNewer(id, lastIds.get(stream) ?? null)) lastIds.set(stream, id);
    const key = `${stream}:${id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const lastEventId = (stream: S) => lastIds.get(stream) ?? null;
  const noteLoaded = (stream: S, ids: readonly string[]) => {
    for (const id of ids) remember(stream, id);
  };

  // No way to elect or relay: this tab streams on its own, as before leader election.
  if (!locks || !options.openChannel) {
    options.onStreamChange(true);
    return {
      tabId,
      lastEventId,
      noteLoaded,
      deliver: (id, data) => {
        const stream = options.streamOf(data);
        if (remember(stream, id)) options.onEvent({ stream, id, data, toast: true });
      },
      setPresence: () => {},
      setStatus: (reconnecting) => options.onStatus(reconnecting),
      close: () => {
        closed = true;
      },
    };
  }

  // Per user: another account signed in later in the same profile gets its own leader.
  const name = `photogram:live:${options.userId}`;
  const channel = options.openChannel(name);
  const post = (message: Message<T>) => {
    if (!closed) channel.postMessage(message);
  };

  let leader = false;
  let idle = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let pruneTimer: ReturnType<typeof setInterval> | undefined;
  // The leader's view of every tab; followers leave it empty.
  const tabs = new Map<string, Presence>();
  const abort = new AbortController();
  let releaseLeader: () => void = () => {};

  const checkIdle = () => {
    if (!leader) return;
    const allHidden = [...tabs.values()].every((tab) => !tab.visible);
    if (!allHidden) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
      if (idle) {
        idle = false;
        options.onStreamChange(true);
        post({ type: 'resumed' });
        options.onResumed();
      }
      return;
    }
    if (idle || idleTimer !== undefined) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      idle = true;
      options.onStreamChange(false);
    }, idleMs);
  };

  // A tab that crashed never says goodbye; its own lock tells (the browser drops it).
  const tabLock = `${name}:tab:${tabId}`;
  const prune = async () => {
    if (!locks.query) return;
    const { held = [] } = await locks.query();
    const alive = new Set(held.map((lock) => lock.name));
    for (const tab of tabs.keys()) {
      if (tab !== tabId && !alive.has(`${name}:tab:${tab}`)) tabs.delete(tab);
    }
    checkIdle();
  };

  const onMessage = (event: MessageEvent) => {
    const message = parseMessage(event.data, options.parseData);
    if (!message || closed) return;
    switch (message.type) {
      case 'event': {
        const stream = options.streamOf(message.data);
        if (remember(stream, message.id)) {
          options.onEvent({
            stream,
            id: message.id,
            data: message.data,
            toast: message.toastTab === tabId,
          });
        }
        break;
      }
      case 'presence':
        if (leader) {
          tabs.set(message.tab, { visible: message.visible, focusedAt: message.focusedAt });
          checkIdle();
        }
        break;
      case 'gone':
        if (leader) {
          tabs.delete(message.tab);
          checkIdle();
        }
        break;
      case 'who':
        post({ type: 'presence', tab: tabId, ...presence });
        break;
      case 'status':
        options.onStatus(message.reconnecting);
        break;
      case 'resumed':
        options.onResumed();
        break;
    }
  };
  channel.addEventListener('message', onMessage);
  post({ type: 'presence', tab: tabId, ...presence });

  if (locks.query) {
    void locks
      .request(tabLock, { mode: 'exclusive', signal: abort.signal }, () => {
        return new Promise<void>((resolve) =>
          abort.signal.addEventListener('abort', () => resolve()),
        );
      })
      .catch(() => {
        // Aborted on close: nothing was held.
      });
  }

  // Followers queue on the same lock: when the leader's tab closes, crashes or is
  // discarded, the browser releases it and the next tab in line takes over.
  void locks
    .request(name, { mode: 'exclusive', signal: abort.signal }, () => {
      if (closed) return Promise.resolve();
      leader = true;
      tabs.clear();
      tabs.set(tabId, presence);
      post({ type: 'who' });
      pruneTimer = setInterval(() => void prune(), Math.max(1_000, Math.min(idleMs, 60_000)));
      options.onStreamChange(true);
      checkIdle();
      return new Promise<void>((resolve) => {
        releaseLeader = resolve;
      });
    })
    .catch(() => {
      // Aborted while waiting in line: this tab left before its turn.
    });

  return {
    tabId,
    lastEventId,
    noteLoaded,
    deliver: (id, data) => {
      const stream = options.streamOf(data);
      if (!leader || !remember(stream, id)) return;
      const toastTab = pickToastTab(tabs, tabId);
      post({ type: 'event', id, data, toastTab });
      options.onEvent({ stream, id, data, toast: toastTab === tabId });
    },
    setPresence: (next) => {
      presence = next;
      if (leader) {
        tabs.set(tabId, next);
        checkIdle();
      } else {
        post({ type: 'presence', tab: tabId, ...next });
      }
    },
    setStatus: (reconnecting) => {
      if (!leader) return;
      post({ type: 'status', reconnecting });
      options.onStatus(reconnecting);
    },
    close: () => {
      if (closed) return;
      post({ type: 'gone', tab: tabId });
      closed = true;
      clearTimeout(idleTimer);
      clearInterval(pruneTimer);
      if (leader) options.onStreamChange(false);
      leader = false;
      channel.removeEventListener('message', onMessage);
      channel.close();
      abort.abort();
      releaseLeader();
    },
  };
}
