/**
 * PREP Casilla, the CAE's phone app: enrol the phone once (a coordinator signs in; the key is
 * made on the phone), then photograph each acta, check the photo on the phone, keep it in the
 * outbox and send it whenever there is network, showing what arrived with its receipt.
 * Everything the person sees is in Spanish.
 */
import { enrolOverHttp } from '../agent/enrol_http.ts';
import { openReceipt, parseReceiptBody } from '../intake/receipt_body.ts';
import { loadDevice, openPhoneDb, PhoneOutbox, type PhoneItem, saveDevice } from './idb_outbox.ts';
import { assessActaPhoto, greyOfRgba, WORKING_SIZE } from './quality.ts';
import { sendPending } from './sending.ts';
import { newDeviceKey, parseVerifierKeyWeb, publicKeyBase64, WEB_NOTES } from '../platform/web/web_crypto.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const origin = location.origin;

async function main(): Promise<void> {
  if ('serviceWorker' in navigator)
    await navigator.serviceWorker
      .register('/src/casilla/sw.ts', { scope: '/casilla/', type: 'module' })
      .catch(() => undefined);
  showNetwork();
  addEventListener('online', () => {
    showNetwork();
    void send({ networkBack: true });
  });
  addEventListener('offline', showNetwork);
  const db = await openPhoneDb();
  const device = await loadDevice(db);
  db.close();
  if (device === null) showEnrolment();
  else await showCapture();
}

function showNetwork(): void {
  $('red').textContent = navigator.onLine
    ? 'Con red: las actas se envían al centro.'
    : 'Sin red: las actas se guardan en el teléfono y se enviarán al volver la red.';
}

function showEnrolment(): void {
  $('registro').hidden = false;
  const form = $<HTMLFormElement>('form-registro');
  const deviceId = form.elements.namedItem('deviceId') as HTMLInputElement;
  if (deviceId.value === '') deviceId.value = `CAE-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const error = $('registro-error');
    error.textContent = '';
    try {
      await enrol({
        username: String(data.get('username')),
        password: String(data.get('password')),
        code: String(data.get('code')),
        deviceId: String(data.get('deviceId')),
        boundTo: String(data.get('boundTo')),
      });
      $('registro').hidden = true;
      await showCapture();
    } catch (problem) {
      error.textContent = (problem as Error).message;
    }
  });
}

async function enrol(input: {
  username: string;
  password: string;
  code: string;
  deviceId: string;
  boundTo: string;
}): Promise<void> {
  const keyPair = await newDeviceKey();
  const enrolled = await enrolOverHttp({
    ...input,
    centerUrl: origin,
    publicKey: await publicKeyBase64(keyPair.publicKey),
    origin: 'CASILLA',
  });
  if (!enrolled.ok)
    throw new Error(
      enrolled.code === 'sign-in-failed'
        ? 'No se pudo iniciar sesión: revise usuario, contraseña y código.'
        : enrolled.code === 'no-answer'
          ? 'El centro no responde: intente con red.'
          : `El centro no registró el teléfono: ${enrolled.message}`,
    );
  if ((await parseVerifierKeyWeb(enrolled.value.electionKey)) === null)
    throw new Error('El centro no dio una llave de elección válida.');
  const db = await openPhoneDb();
  await saveDevice(db, {
    deviceId: input.deviceId,
    keyPair,
    electionKey: enrolled.value.electionKey,
    contests: enrolled.value.contests,
    utcOffsetMinutes: enrolled.value.utcOffsetMinutes,
    nextSequence: 0,
  });
  db.close();
}

let checkedPhoto: { image: ArrayBuffer; contentType: 'image/jpeg' | 'image/png' } | null = null;

async function showCapture(): Promise<void> {
  const db = await openPhoneDb();
  const device = await loadDevice(db);
  db.close();
  if (device === null) return showEnrolment();
  $('captura').hidden = false;
  $('enviadas').hidden = false;
  $('dispositivo').textContent = `Teléfono ${device.deviceId}`;
  const form = $<HTMLFormElement>('form-acta');
  const select = form.elements.namedItem('contest') as HTMLSelectElement;
  select.replaceChildren(...device.contests.map((id) => new Option(id, id)));
  const photo = form.elements.namedItem('photo') as HTMLInputElement;
  const submit = form.querySelector('button') as HTMLButtonElement;
  photo.addEventListener('change', async () => {
    checkedPhoto = null;
    submit.disabled = true;
    const file = photo.files?.[0];
    if (file === undefined) return;
    const verdict = await checkPhoto(file);
    const status = $('calidad');
    status.className = verdict.accepted ? 'aceptada' : 'rechazo';
    status.textContent = verdict.accepted
      ? 'Foto legible: lista para enviar.'
      : `Repita la foto. ${verdict.advice.join(' ')}`;
    if (verdict.accepted && (file.type === 'image/jpeg' || file.type === 'image/png')) {
      checkedPhoto = { image: await file.arrayBuffer(), contentType: file.type };
      submit.disabled = false;
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (checkedPhoto === null) return;
    const data = new FormData(form);
    const db = await openPhoneDb();
    await new PhoneOutbox(db).queue({
      ...checkedPhoto,
      contest: String(data.get('contest')),
      claimedKey: String(data.get('claimedKey')).toUpperCase(),
      keyConfirmed: data.get('keyConfirmed') === 'on',
    });
    db.close();
    checkedPhoto = null;
    form.reset();
    submit.disabled = true;
    $('calidad').textContent = 'Acta guardada en el teléfono.';
    await render();
    // With the page closed, the service worker sends when the network returns.
    const registration = await navigator.serviceWorker?.ready.catch(() => undefined);
    await (
      registration as
        | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
        | undefined
    )?.sync
      ?.register('openprep-enviar')
      .catch(() => undefined);
    void send();
  });
  await render();
  void send({ networkBack: true });
  setInterval(() => void send(), 10_000);
}

async function checkPhoto(file: File) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, WORKING_SIZE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('no canvas');
    context.drawImage(bitmap, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height).data;
    // The resolution is judged on the photo as taken; the rest on the scaled copy.
    return assessActaPhoto(greyOfRgba(pixels), width, height, { width: bitmap.width, height: bitmap.height });
  } catch {
    return { accepted: false, advice: ['El archivo no es una foto legible (JPEG o PNG).'] };
  }
}

async function send(options: { networkBack?: boolean } = {}): Promise<void> {
  if (!navigator.onLine) return;
  if (options.networkBack === true) {
    const db = await openPhoneDb();
    await new PhoneOutbox(db).retryNow();
    db.close();
  }
  await sendPending(origin).catch(() => 0);
  await render();
}

async function render(): Promise<void> {
  const db = await openPhoneDb();
  const device = await loadDevice(db);
  const items = (await new PhoneOutbox(db).all()).sort((a, b) => b.sequence - a.sequence);
  db.close();
  const verifier = device === null ? null : await parseVerifierKeyWeb(device.electionKey);
  const pending = items.filter((i) => i.state === 'pending').length;
  const delivered = items.filter((i) => i.state === 'delivered').length;
  $('resumen').textContent =
    `${delivered} con acuse del centro, ${pending} por enviar, ${items.length - pending - delivered} rechazadas.`;
  const rows = await Promise.all(items.map((item) => row(item, verifier)));
  $('lista').replaceChildren(...rows);
}

async function row(
  item: PhoneItem,
  verifier: Awaited<ReturnType<typeof parseVerifierKeyWeb>>,
): Promise<HTMLElement> {
  const li = document.createElement('li');
  li.dataset['sequence'] = String(item.sequence);
  li.dataset['state'] = item.state;
  const title = document.createElement('div');
  const state = document.createElement('span');
  state.className = 'estado';
  state.textContent =
    item.state === 'delivered' ? 'Recibida' : item.state === 'refused' ? 'Rechazada' : 'Por enviar';
  title.append(state, ` ${item.contest} ${item.claimedKey} (n.º ${item.sequence})`);
  li.append(title);
  if (item.state === 'delivered' && item.receipt !== null && verifier !== null) {
    const body = await openReceipt(item.receipt, verifier.name, verifier, WEB_NOTES);
    const parsed = body === null ? null : parseReceiptBody(body, verifier.name);
    const fields = parsed?.ok === true ? parsed.value : null;
    const detail = document.createElement('div');
    detail.className = 'acuse';
    detail.textContent =
      fields === null
        ? 'Acuse que no verifica'
        : `Acuse verificado: registro ${fields.leafIndex} de la bitácora, acopio ${fields.acopio}`;
    li.append(detail);
  } else if (item.lastError !== null) {
    const detail = document.createElement('div');
    detail.className = item.state === 'refused' ? 'rechazo' : '';
    detail.textContent =
      item.state === 'refused' ? `Motivo: ${item.lastError}` : `Último intento: ${item.lastError}`;
    li.append(detail);
  }
  return li;
}

void main();
