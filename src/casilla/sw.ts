/**
 * PREP Casilla's service worker: keeps the app itself in a cache so it opens with no network
 * (hours without signal, the browser closed and reopened), and sends the outbox when the
 * browser reports the network back (Background Sync), even with the page closed. API
 * requests always go to the network: nothing of the center's answers is cached.
 */
import { APP_SHELL } from './files.ts';
import { sendPending } from './sending.ts';

const CACHE = 'openprep-casilla-v1';
const SHELL = APP_SHELL;

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}

const worker = globalThis as unknown as WorkerScope;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== 'GET' ||
    url.origin !== worker.location.origin ||
    !SHELL.includes(url.pathname)
  )
    return;
  // Network first, so an updated app arrives when online; the cached copy when not.
  event.respondWith(
    fetch(event.request)
      .then(async (response) => {
        if (response.ok) await (await caches.open(CACHE)).put(event.request, response.clone());
        return response;
      })
      .catch(async () => (await caches.match(event.request)) ?? Response.error()),
  );
});

worker.addEventListener('sync', (event) => {
  if (event.tag === 'openprep-enviar') event.waitUntil(sendPending(worker.location.origin));
});
