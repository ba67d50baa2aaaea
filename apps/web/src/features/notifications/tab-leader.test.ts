import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import {
  type ChannelLike,
  isNewer,
  joinTabGroup,
  type LockManagerLike,
  type Presence,
  pickToastTab,
  type RelayedEvent,
  type TabGroup,
} from './tab-leader';

type Stream = 'upload' | 'activity';

interface Payload {
  caption: string;
  at: Date;
  /** Which stream it came on; uploads unless said. */
  stream?: Stream;
}

/**
 * Web Locks as a browser keeps them for one profile (Node has no `navigator.locks`): one
 * holder per name, waiters granted in order, a tab's locks dropped when the tab dies.
 */
function browserLocks() {
  const held = new Set<string>();
  const waiting = new Map<string, Array<() => void>>();
  const acquire = (name: string, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
      if (!held.has(name)) {
        held.add(name);
        return resolve();
      }
      const queue = waiting.get(name) ?? [];
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        queue.splice(queue.indexOf(grant), 1);
        reject(new DOMException('Aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
      waiting.set(name, queue);
    });
  const release = (name: string) => {
    const next = waiting.get(name)?.shift();
    if (next) next();
    else held.delete(name);
  };
  /** The lock manager one tab sees, and how to make that tab crash. */
  const forTab = () => {
    let crash: () => void = () => {};
    const crashed = new Promise<void>((resolve) => {
      crash = resolve;
    });
    const locks: LockManagerLike = {
      async request(name, options, callback) {
        await Promise.race([acquire(name, options.signal), crashed.then(() => Promise.reject())]);
        try {
          return await Promise.race([callback(), crashed]);
        } finally {
          release(name);
        }
      },
      query: async () => ({ held: [...held].map((name) => ({ name })) }),
    };
    return { locks, crash };
  };
  return { forTab };
}

interface Tab {
  group: TabGroup<Payload, Stream>;
  events: RelayedEvent<Payload, Stream>[];
  streaming: boolean;
  resumed: number;
  statuses: boolean[];
  crash(): void;
}

const open: Tab[] = [];
// Channels are real and process-wide: each test is its own person, so no tab of an
// earlier test hears this one.
let person = '';
beforeEach(() => {
  person = crypto.randomUUID();
});
afterEach(() => {
  for (const tab of open.splice(0)) tab.group.close();
});

const parsePayload = (raw: unknown): Payload | null =>
  raw && typeof raw === 'object' && 'caption' in raw && 'at' in raw && raw.at instanceof Date
    ? {
        caption: String(raw.caption),
        at: raw.at,
        stream: 'stream' in raw && raw.stream === 'activity' ? 'activity' : 'upload',
      }
    : null;
const streamOf = (payload: Payload): Stream => payload.stream ?? 'upload';

function openTab(
  locks: ReturnType<typeof browserLocks>,
  options: { userId?: string; presence?: Presence; idleMs?: number; tabId?: string } = {},
): Tab {
  const { locks: tabLocks, crash } = locks.forTab();
  const channels: ChannelLike[] = [];
  const tab: Tab = {
    events: [],
    streaming: false,
    resumed: 0,
    statuses: [],
    crash: () => {
      // The browser drops a dead tab's locks and channels; it says nothing on its way out.
      open.splice(open.indexOf(tab), 1);
      for (const channel of channels) channel.close();
      crash();
    },
    group: joinTabGroup<Payload, Stream>({
      userId: `${person}:${options.userId ?? 'me'}`,
      tabId: options.tabId ?? crypto.randomUUID(),
      locks: tabLocks,
      openChannel: (name) => {
        const channel = new BroadcastChannel(name);
        channels.push(channel);
        return channel;
      },
      idleMs: options.idleMs ?? 60_000,
      presence: options.presence ?? { visible: true, focusedAt: 0 },
      parseData: parsePayload,
      streamOf,
      onEvent: (event) => tab.events.push(event),
      onStreamChange: (active) => {
        tab.streaming = active;
      },
      onStatus: (reconnecting) => tab.statuses.push(reconnecting),
      onResumed: () => {
        tab.resumed += 1;
      },
    }),
  };
  open.push(tab);
  return tab;
}

const leaders = (tabs: Tab[]) => tabs.filter((tab) => tab.streaming);

async function soleLeader(tabs: Tab[]): Promise<Tab> {
  await vi.waitFor(() => expect(leaders(tabs)).toHaveLength(1));
  const [leader] = leaders(tabs);
  if (!leader) throw new Error('no leader');
  return leader;
}

// Presence travels on the channel: give it a moment before the leader decides.
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test('event ids compare as numbers, not as text', () => {
  expect(isNewer('10', '9')).toBe(true);
  expect(isNewer('9', '10')).toBe(false);
  expect(isNewer('7', '7')).toBe(false);
  expect(isNewer('1', null)).toBe(true);
});

test('the toast goes to the visible tab focused last, else to the tab focused last', () => {
  const tabs = new Map<string, Presence>([
    ['a', { visible: true, focusedAt: 100 }],
    ['b', { visible: true, focusedAt: 300 }],
    ['c', { visible: false, focusedAt: 900 }],
  ]);
  expect(pickToastTab(tabs, 'a')).toBe('b');
  tabs.set('b', { visible: false, focusedAt: 300 });
  expect(pickToastTab(tabs, 'b')).toBe('a');
  tabs.set('a', { visible: false, focusedAt: 100 });
  expect(pickToastTab(tabs, 'a')).toBe('c');
  // A tie is broken the same way by everyone.
  expect(
    pickToastTab(
      new Map([
        ['y', { visible: true, focusedAt: 5 }],
        ['x', { visible: true, focusedAt: 5 }],
      ]),
      'y',
    ),
  ).toBe('x');
  expect(pickToastTab(new Map(), 'me')).toBe('me');
});

test('of three tabs exactly one holds the stream', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks), openTab(locks)];
  await soleLeader(tabs);
  await settle();
  expect(leaders(tabs)).toHaveLength(1);
});

test('every tab gets each relayed event once, and one tab shows its toast', async () => {
  const locks = browserLocks();
  const tabs = [
    openTab(locks, { presence: { visible: true, focusedAt: 10 } }),
    openTab(locks, { presence: { visible: true, focusedAt: 30 } }),
    openTab(locks, { presence: { visible: false, focusedAt: 50 } }),
  ];
  const leader = await soleLeader(tabs);
  await settle();
  const at = new Date('2026-12-01T10:00:00Z');
  leader.group.deliver('1', { caption: 'one', at });
  leader.group.deliver('1', { caption: 'one', at }); // replayed after a reconnect
  leader.group.deliver('2', { caption: 'two', at });
  for (const tab of tabs) {
    await vi.waitFor(() => expect(tab.events.map((event) => event.id)).toEqual(['1', '2']));
    // Structured clone keeps the Date the stream's transformer made.
    expect(tab.events[0]?.data.at).toEqual(at);
  }
  const toasted = tabs.filter((tab) => tab.events.every((event) => event.toast));
  expect(toasted).toEqual([tabs[1]]);
  for (const tab of tabs) expect(tab.group.lastEventId('upload')).toBe('2');
});

test('focus moves the toast: the leader hears every tab announce it', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks)];
  const leader = await soleLeader(tabs);
  const follower = tabs.find((tab) => tab !== leader);
  if (!follower) throw new Error('no follower');
  leader.group.setPresence({ visible: true, focusedAt: 100 });
  follower.group.setPresence({ visible: true, focusedAt: 200 });
  await settle();
  leader.group.deliver('1', { caption: 'one', at: new Date() });
  await vi.waitFor(() => expect(follower.events).toHaveLength(1));
  expect(follower.events[0]?.toast).toBe(true);
  expect(leader.events[0]?.toast).toBe(false);
});

test('when the leader closes, the next tab takes over from the newest id', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks), openTab(locks)];
  const first = await soleLeader(tabs);
  first.group.deliver('4', { caption: 'four', at: new Date() });
  for (const tab of tabs) await vi.waitFor(() => expect(tab.group.lastEventId('upload')).toBe('4'));
  first.group.close();
  expect(first.streaming).toBe(false);
  const rest = tabs.filter((tab) => tab !== first);
  const second = await soleLeader(rest);
  expect(second.group.lastEventId('upload')).toBe('4');
  // The new stream replays from 4: what the old leader already relayed is not shown twice.
  second.group.deliver('4', { caption: 'four', at: new Date() });
  second.group.deliver('5', { caption: 'five', at: new Date() });
  for (const tab of rest) {
    await vi.waitFor(() => expect(tab.events.map((event) => event.id)).toEqual(['4', '5']));
  }
});

test('uploads and activity count their ids apart: the same id on each is two events, each stream resumes from its own', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks)];
  const first = await soleLeader(tabs);
  const at = new Date();
  first.group.deliver('7', { caption: 'an upload', at });
  first.group.deliver('7', { caption: 'a like', at, stream: 'activity' });
  first.group.deliver('8', { caption: 'a comment', at, stream: 'activity' });
  first.group.deliver('8', { caption: 'a comment', at, stream: 'activity' }); // replayed
  for (const tab of tabs) {
    await vi.waitFor(() =>
      expect(tab.events.map((event) => `${event.stream}:${event.id}`)).toEqual([
        'upload:7',
        'activity:7',
        'activity:8',
      ]),
    );
  }
  first.group.close();
  const second = await soleLeader(tabs.filter((tab) => tab !== first));
  expect(second.group.lastEventId('upload')).toBe('7');
  expect(second.group.lastEventId('activity')).toBe('8');
  // The new leader's streams replay from there: nothing is shown twice.
  second.group.deliver('8', { caption: 'a comment', at, stream: 'activity' });
  second.group.deliver('9', { caption: 'a follow', at, stream: 'activity' });
  await vi.waitFor(() =>
    expect(second.events.map((event) => event.id)).toEqual(['7', '7', '8', '9']),
  );
});

test('when the leader crashes, the browser frees its lock and another tab takes over', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks)];
  const first = await soleLeader(tabs);
  first.group.deliver('9', { caption: 'nine', at: new Date() });
  const other = tabs.find((tab) => tab !== first);
  if (!other) throw new Error('no other tab');
  await vi.waitFor(() => expect(other.group.lastEventId('upload')).toBe('9'));
  first.crash();
  await vi.waitFor(() => expect(other.streaming).toBe(true));
  expect(other.group.lastEventId('upload')).toBe('9');
});

test('a tab that has not loaded anything resumes from what it was relayed', async () => {
  const locks = browserLocks();
  const first = openTab(locks);
  await soleLeader([first]);
  const late = openTab(locks);
  late.group.noteLoaded('upload', ['3', '2', '1']);
  expect(late.group.lastEventId('upload')).toBe('3');
  first.group.deliver('3', { caption: 'three', at: new Date() });
  first.group.deliver('4', { caption: 'four', at: new Date() });
  await vi.waitFor(() => expect(late.group.lastEventId('upload')).toBe('4'));
  // 3 was in the list it loaded: no toast, no second refresh for it.
  expect(late.events.map((event) => event.id)).toEqual(['4']);
});

test('every tab hidden past the idle time: the stream closes; one visible tab brings it back', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks, { idleMs: 100 }), openTab(locks, { idleMs: 100 })];
  const leader = await soleLeader(tabs);
  await settle();
  for (const tab of tabs) tab.group.setPresence({ visible: false, focusedAt: 1 });
  await vi.waitFor(() => expect(leaders(tabs)).toHaveLength(0));
  const follower = tabs.find((tab) => tab !== leader);
  if (!follower) throw new Error('no follower');
  follower.group.setPresence({ visible: true, focusedAt: 2 });
  await vi.waitFor(() => expect(leader.streaming).toBe(true));
  // Every tab refreshes its badge: what came in meanwhile is not cached yet.
  for (const tab of tabs) await vi.waitFor(() => expect(tab.resumed).toBe(1));
});

test('one hidden tab does not stop the stream while another is visible', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks, { idleMs: 50 }), openTab(locks, { idleMs: 50 })];
  const leader = await soleLeader(tabs);
  leader.group.setPresence({ visible: false, focusedAt: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(leader.streaming).toBe(true);
});

test('a crashed tab that never said it was hidden does not keep the stream open', async () => {
  const locks = browserLocks();
  const leader = openTab(locks, { idleMs: 100 });
  await soleLeader([leader]);
  const doomed = openTab(locks, { idleMs: 100 });
  await settle();
  doomed.crash();
  leader.group.setPresence({ visible: false, focusedAt: 1 });
  await vi.waitFor(() => expect(leader.streaming).toBe(false), { timeout: 3_000 });
});

test('the stream status reaches every tab', async () => {
  const locks = browserLocks();
  const tabs = [openTab(locks), openTab(locks)];
  const leader = await soleLeader(tabs);
  leader.group.setStatus(true);
  for (const tab of tabs) await vi.waitFor(() => expect(tab.statuses).toEqual([true]));
});

test('each person signed in to the profile gets a leader of their own', async () => {
  const locks = browserLocks();
  const alice = openTab(locks, { userId: 'alice' });
  const bob = openTab(locks, { userId: 'bob' });
  await vi.waitFor(() => expect([alice.streaming, bob.streaming]).toEqual([true, true]));
});

test('without Web Locks or BroadcastChannel every tab streams and toasts on its own', () => {
  const events: RelayedEvent<Payload, Stream>[] = [];
  let streaming = false;
  const group = joinTabGroup<Payload, Stream>({
    userId: 'u1',
    tabId: 'alone',
    locks: undefined,
    openChannel: undefined,
    idleMs: 1,
    presence: { visible: false, focusedAt: 0 },
    parseData: parsePayload,
    streamOf,
    onEvent: (event) => events.push(event),
    onStreamChange: (active) => {
      streaming = active;
    },
    onStatus: () => {},
    onResumed: () => {},
  });
  expect(streaming).toBe(true);
  group.deliver('1', { caption: 'one', at: new Date() });
  group.deliver('1', { caption: 'one', at: new Date() });
  expect(events.map((event) => [event.id, event.toast])).toEqual([['1', true]]);
  group.close();
});
