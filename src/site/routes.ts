/**
 * The public site's addresses. Every view is reachable by a URL that works on any static host
 * (a CDN, an official mirror, a folder on a laptop): the route lives in the fragment, so the
 * server only ever serves index.html and the cut's files.
 *
 *   #/                                            the first contest, nacional
 *   #/PRES                                        nacional
 *   #/PRES/entidad/09                             an entidad
 *   #/PRES/distrito/09-001                        a distrito
 *   #/PRES/distrito/09-001/seccion/0123           a sección (numbered within its entidad)
 *   #/PRES/distrito/09-001/casilla/090123B0100    a casilla and its actas
 *   #/descargas, #/verificar                      the cut's files; checking a cut in the browser
 *   #/historial, #/historial/20240602_2105        every cut of the night; what changed in one cut
 *
 * A casilla key does not name its distrito, and the distrito file is where its rows are found,
 * hence the distrito in the casilla's address.
 */

export type Route =
  | { readonly view: 'nacional'; readonly contest: string | null }
  | { readonly view: 'entidad'; readonly contest: string; readonly entidad: number }
  | {
      readonly view: 'distrito';
      readonly contest: string;
      readonly entidad: number;
      readonly distrito: number;
    }
  | {
      readonly view: 'seccion';
      readonly contest: string;
      readonly entidad: number;
      readonly distrito: number;
      readonly seccion: number;
    }
  | {
      readonly view: 'casilla';
      readonly contest: string;
      readonly entidad: number;
      readonly distrito: number;
      readonly casilla: string;
    }
  | { readonly view: 'descargas' }
  | { readonly view: 'verificar' }
  | { readonly view: 'historial'; readonly cut: string | null }
  | { readonly view: 'not-found'; readonly hash: string };

const CONTEST = /^[A-Z][A-Z0-9_]{0,31}$/;
const ENTIDAD = /^(\d{2})$/;
const DISTRITO = /^(\d{2})-(\d{3})$/;
const SECCION = /^\d{4}$/;
// CLAVE_CASILLA: entidad (2), sección (4), tipo, id (2), extensión (2).
const CASILLA = /^(\d{2})(\d{4})[BCES]\d{4}$/;

function entidadOf(text: string): number | null {
  const match = ENTIDAD.exec(text);
  const id = match === null ? 0 : Number(match[1]);
  return id >= 1 && id <= 32 ? id : null;
}

/** Parses a location fragment (`#/…`, or empty). Anything else is `not-found`, naming it. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const parts = text.split('/').filter((part) => part !== '');
  const notFound: Route = { view: 'not-found', hash: text };
  if (parts.length === 0) return { view: 'nacional', contest: null };
  const [first = '', kind, id, subKind, subId, ...rest] = parts;
  if (parts.length === 1 && first === 'descargas') return { view: 'descargas' };
  if (parts.length === 1 && first === 'verificar') return { view: 'verificar' };
  if (first === 'historial' && parts.length <= 2)
    return kind === undefined
      ? { view: 'historial', cut: null }
      : /^\d{8}_\d{4}$/.test(kind)
        ? { view: 'historial', cut: kind }
        : notFound;
  if (!CONTEST.test(first) || rest.length > 0) return notFound;
  const contest = first;
  if (kind === undefined) return { view: 'nacional', contest };
  if (id === undefined) return notFound;
  if (kind === 'entidad') {
    const entidad = entidadOf(id);
    return entidad === null || subKind !== undefined ? notFound : { view: 'entidad', contest, entidad };
  }
  if (kind !== 'distrito') return notFound;
  const match = DISTRITO.exec(id);
  const entidad = match === null ? null : entidadOf(match[1] ?? '');
  const distrito = Number(match?.[2] ?? 0);
  if (entidad === null || distrito < 1) return notFound;
  if (subKind === undefined) return { view: 'distrito', contest, entidad, distrito };
  if (subId === undefined) return notFound;
  if (subKind === 'seccion' && SECCION.test(subId) && Number(subId) >= 1)
    return { view: 'seccion', contest, entidad, distrito, seccion: Number(subId) };
  const casilla = CASILLA.exec(subId);
  if (subKind === 'casilla' && casilla !== null && Number(casilla[1]) === entidad)
    return { view: 'casilla', contest, entidad, distrito, casilla: subId };
  return notFound;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The fragment of a route: `parseRoute(routeHash(r))` gives `r` back. */
export function routeHash(route: Route): string {
  switch (route.view) {
    case 'nacional':
      return route.contest === null ? '#/' : `#/${route.contest}`;
    case 'entidad':
      return `#/${route.contest}/entidad/${pad(route.entidad, 2)}`;
    case 'distrito':
      return `#/${route.contest}/distrito/${pad(route.entidad, 2)}-${pad(route.distrito, 3)}`;
    case 'seccion':
      return `#/${route.contest}/distrito/${pad(route.entidad, 2)}-${pad(route.distrito, 3)}/seccion/${pad(route.seccion, 4)}`;
    case 'casilla':
      return `#/${route.contest}/distrito/${pad(route.entidad, 2)}-${pad(route.distrito, 3)}/casilla/${route.casilla}`;
    case 'descargas':
      return '#/descargas';
    case 'verificar':
      return '#/verificar';
    case 'historial':
      return route.cut === null ? '#/historial' : `#/historial/${route.cut}`;
    case 'not-found':
      return `#${route.hash}`;
  }
}
