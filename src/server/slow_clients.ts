/**
 * Deadlines and a minimum transfer rate for the center's connections: what keeps a crowd of
 * clients that open a request and then send one byte every few seconds (slowloris) from holding
 * sockets, memory and upload slots for as long as they like.
 *
 * Rates are read from the socket's own byte counter, never by listening to the request stream,
 * so watching an upload does not change how it is read.
 */
import { BlockList, isIPv6, type Socket } from 'node:net';
import type { Server } from 'node:http';

export interface SlowClientEvent {
  readonly kind: 'header-deadline' | 'too-slow' | 'body-deadline' | 'connections-per-address';
  readonly address: string;
  readonly detail: string;
}

/** Addresses (and CIDR ranges) of the load balancers in front of this node. */
export function proxyMatcher(trusted: readonly string[]): (address: string) => boolean {
  if (trusted.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trusted) {
    const [ip, bits] = entry.split('/');
    const type = isIPv6(ip ?? '') ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip ?? '', type);
    else list.addSubnet(ip ?? '', Number(bits), type);
  }
  return (address) => {
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    return list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
  };
}

/**
 * At most `perAddress` open connections from one address: past it a new connection is closed
 * before a byte is read. A trusted proxy's connections carry everybody's requests and are not
 * counted.
 */
export function limitConnectionsPerAddress(
  server: Server,
  options: {
    readonly perAddress: number;
    readonly trusted: (address: string) => boolean;
    readonly onEvent: (event: SlowClientEvent) => void;
  },
): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (options.trusted(address)) return;
    const held = open.get(address) ?? 0;
    if (held >= options.perAddress) {
      options.onEvent({
        kind: 'connections-per-address',
        address,
        detail: `more than ${options.perAddress} connections at once`,
      });
      socket.destroy();
      return;
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** One watched request: its socket, and the rule it is held to now. */
interface Watched {
  readonly socket: Socket;
  readonly address: string;
  readonly started: number;
  /** Until set, the request must reach `authenticated()` before `started + deadlineMs`. */
  authenticatedAt: number | null;
  /** Byte counter readings, one per tick, the oldest first (a window's worth). */
  readonly samples: number[];
  done: boolean;
}

export interface UploadWatch {
  /** The signed header checked out: from now on the deadline is the minimum rate. */
  authenticated(): void;
  /** The body was read whole, or the request ended: nothing more to watch. */
  stop(): void;
}

const TICK_MS = 1000;

/**
 * Watches uploads with one timer: before authentication, a deadline; after it, at least
 * `minBytesPerSecond` over every `windowMs` while the body is still arriving. A request that
 * breaks its rule has its connection destroyed (the handler then sees the body end early).
 */
export interface UploadWatcherOptions {
  readonly headerDeadlineMs: number;
  readonly minBytesPerSecond: number;
  readonly windowMs: number;
  readonly onEvent: (event: SlowClientEvent) => void;
}

export class UploadWatcher {
  readonly #watched = new Set<Watched>();
  readonly #options: UploadWatcherOptions;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: UploadWatcherOptions) {
    this.#options = options;
  }

  watch(socket: Socket, address: string): UploadWatch {
    const entry: Watched = {
      socket,
      address,
      started: Date.now(),
      authenticatedAt: null,
      samples: [socket.bytesRead],
      done: false,
    };
    this.#watched.add(entry);
    this.#timer ??= setInterval(() => this.#tick(), Math.min(TICK_MS, this.#options.headerDeadlineMs));
    this.#timer.unref();
    const stop = () => {
      if (entry.done) return;
      entry.done = true;
      // A kept-alive socket carries many requests: its listener goes with the request.
      socket.off('close', stop);
      this.#watched.delete(entry);
      if (this.#watched.size === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
    socket.once('close', stop);
    return {
      authenticated: () => {
        entry.authenticatedAt ??= Date.now();
        entry.samples.splice(0, entry.samples.length, socket.bytesRead);
      },
      stop,
    };
  }

  #tick(): void {
    const now = Date.now();
    const window = Math.max(1, Math.round(this.#options.windowMs / TICK_MS));
    for (const entry of this.#watched) {
      if (entry.authenticatedAt === null) {
        if (now - entry.started >= this.#options.headerDeadlineMs)
          this.#drop(entry, 'header-deadline', `no verified signed header after ${now - entry.started} ms`);
        continue;
      }
      entry.samples.push(entry.socket.bytesRead);
      if (entry.samples.length <= window) continue;
      entry.samples.shift();
      const sent = (entry.samples.at(-1) ?? 0) - (entry.samples[0] ?? 0);
      const needed = (this.#options.minBytesPerSecond * (window * TICK_MS)) / 1000;
      if (sent < needed)
        this.#drop(entry, 'too-slow', `${sent} bytes in the last ${window} s, under ${needed}`);
    }
  }

  #drop(entry: Watched, kind: SlowClientEvent['kind'], detail: string): void {
    this.#options.onEvent({ kind, address: entry.address, detail });
    entry.socket.destroy();
  }
}

/**
 * Ends a request whose body is not wanted (refused before or while it arrived) without reading
 * the rest: the answer goes out with `Connection: close`, the socket is half-closed, and after a
 * short linger — time for the client to read the answer before any reset — destroyed.
 */
export function closeUnreadBody(socket: Socket, lingerMs = 1000): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), lingerMs).unref();
}
