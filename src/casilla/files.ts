/**
 * What PREP Casilla is made of, in one list: the center serves exactly these files and the
 * service worker keeps exactly these in its cache.
 */

/** Modules under src/ the app loads (served with their types stripped). */
export const APP_MODULES = [
  'casilla/app.ts',
  'casilla/files.ts',
  'casilla/idb_outbox.ts',
  'casilla/quality.ts',
  'casilla/sending.ts',
  'platform/web/web_crypto.ts',
  'agent/transport.ts',
  'agent/enrol_http.ts',
  'intake/package_format.ts',
  'intake/receipt_body.ts',
  'domain/local_time.ts',
  'platform/web/canonical_json.ts',
  'domain/result.ts',
  // The quality gate's judgement and its reviewed thresholds (src/images).
  'gate/judge.ts',
  'gate/measure.ts',
  'gate/quality_thresholds.json',
] as const;

/** The page and its static files: URL, file under src/, content type. */
export const APP_PAGES = [
  ['/casilla/', 'casilla/index.html', 'text/html; charset=utf-8'],
  ['/casilla/app.css', 'casilla/app.css', 'text/css; charset=utf-8'],
  ['/casilla/manifest.webmanifest', 'casilla/manifest.webmanifest', 'application/manifest+json'],
  ['/casilla/icon.svg', 'casilla/icon.svg', 'image/svg+xml'],
] as const;

/** Every URL the app needs to open with no network. */
export const APP_SHELL: readonly string[] = [
  ...APP_PAGES.map(([url]) => url),
  ...APP_MODULES.map((module) => `/src/${module}`),
];
