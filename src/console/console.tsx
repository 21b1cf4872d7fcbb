/**
 * The operators' console, served by `openprep serve` at /consola/: sign-in with password and
 * TOTP, the capture screen (the acta's image beside its boxes, keyboard only, the next acta
 * loaded with the answer to the last) and the verification screen (both captures, their
 * differences highlighted, the right values typed from the image).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Result } from '../domain/result.ts';
import {
  AFTER_CLOSE_TEXT,
  type ApiError,
  currentOperator,
  imageUrl,
  sheetUrl,
  nextCapture,
  nextVerification,
  type Operator,
  sendCapture,
  sendVerification,
  signIn,
  signOut,
  type VerificationTask,
} from './api.ts';
import { boxRect, PAGE, pageHeight } from '../domain/acta_form.ts';
import { AdminScreen } from './admin.tsx';
import { BoxForm } from './boxes.tsx';
import { CotejoScreen } from './cotejo.tsx';
import { DashboardScreen } from './dashboard.tsx';
import {
  type ApiFields,
  type Box,
  type BoxValue,
  boxesOf,
  differences,
  fromFields,
  shown,
  toFields,
} from './entry.ts';

const WAIT_MS = 3_000;

function SignIn(props: { onSignedIn: (operator: Operator) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="contenido">
      <h1>Consola de operación — iniciar sesión</h1>
      <form
        class="sign-in"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          setBusy(true);
          const result = await signIn(
            String(form.get('username')),
            String(form.get('password')),
            String(form.get('code')),
          );
          setBusy(false);
          if (result.ok) props.onSignedIn(result.value);
          else setError(result.message);
        }}
      >
        <label for="username">Usuario</label>
        <input id="username" name="username" autoComplete="username" required />
        <label for="password">Contraseña</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <label for="code">Código de su aplicación de autenticación (6 dígitos)</label>
        <input
          id="code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          required
        />
        <button type="submit" disabled={busy}>
          Entrar
        </button>
        {error !== null && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

/**
 * The acta's image as the capturista reads it: turned upright and cropped to the sheet by the
 * center (the original, whose SHA-256 is published, one click away). When the view has the
 * form's proportions — the sheet was found — the boxes in `marked` (by their line on the acta)
 * are outlined on it.
 */
function ActaImage(props: {
  sha256: string | null;
  actaKey: string | null;
  lines: number;
  marked?: readonly number[];
}) {
  const [sheet, setSheet] = useState(false);
  if (props.sha256 === null) return <p class="no-image">Esta acta no tiene imagen.</p>;
  const height = pageHeight(props.lines);
  return (
    <figure class="acta-image" key={props.sha256}>
      <div class="sheet-frame">
        <img
          src={sheetUrl(props.sha256)}
          alt={`Imagen del acta ${props.actaKey ?? ''}`}
          onLoad={(event) => {
            const img = event.currentTarget;
            setSheet(Math.abs(img.naturalWidth / img.naturalHeight - PAGE.width / height) < 0.04);
          }}
        />
        {sheet && (props.marked ?? []).length > 0 && (
          <svg class="box-marks" viewBox={`0 0 ${PAGE.width} ${height}`} aria-hidden="true">
            {(props.marked ?? []).map((line) => {
              const r = boxRect(line);
              return (
                <rect
                  key={line}
                  x={r.x - 10}
                  y={r.y - 8}
                  width={r.width + 20}
                  height={r.height + 16}
                  rx={8}
                />
              );
            })}
          </svg>
        )}
      </div>
      <figcaption>
        Hoja enderezada y recortada para leerla ·{' '}
        <a href={imageUrl(props.sha256)} target="_blank" rel="noopener">
          imagen original
        </a>{' '}
        · SHA-256 <code>{props.sha256}</code>
      </figcaption>
    </figure>
  );
}

type Work<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'waiting' }
  | { readonly state: 'ready'; readonly task: T };

/**
 * A screen's queue: the next task asked for at once, then every WAIT_MS while none waits.
 * `prepare` sets the screen up for a task before it shows; `show(null)` means none waits.
 */
function useQueue<T>(
  next: () => Promise<Result<T | null, ApiError>>,
  prepare: (task: T) => void,
  setMessage: (message: string) => void,
) {
  const [work, setWork] = useState<Work<T>>({ state: 'loading' });
  const show = (task: T | null) => {
    if (task !== null) prepare(task);
    setWork(task === null ? { state: 'waiting' } : { state: 'ready', task });
  };
  useEffect(() => {
    if (work.state === 'ready') return;
    let live = true;
    const timer = setTimeout(
      async () => {
        const answer = await next();
        if (!live) return;
        if (answer.ok) show(answer.value);
        else setMessage(answer.message);
      },
      work.state === 'loading' ? 0 : WAIT_MS,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [work]);
  return { work, show, again: () => setWork({ state: 'loading' }) };
}

function Waiting(props: { title: string; loading: boolean; empty: string; message: string }) {
  return (
    <section>
      <h2>{props.title}</h2>
      <p role="status">{props.loading ? 'Buscando la siguiente acta…' : props.empty}</p>
      <p role="status" class="message">
        {props.message}
      </p>
    </section>
  );
}

/** Sends the boxes once all are filled; says what is missing or what the center refused. */
async function sendBoxes<R>(
  boxes: readonly Box[],
  values: ReadonlyMap<string, BoxValue>,
  send: (fields: ApiFields) => Promise<Result<R | null, ApiError>>,
  setMessage: (message: string) => void,
  setBusy: (busy: boolean) => void,
): Promise<{ readonly answer: R | null; readonly taken: boolean } | null> {
  const fields = toFields(boxes, values);
  if (!fields.ok) {
    setMessage(`Falta la casilla «${fields.message}».`);
    return null;
  }
  setBusy(true);
  const sent = await send(fields.value);
  setBusy(false);
  if (!sent.ok) {
    setMessage(
      sent.code === 'claim-taken'
        ? 'No se registró: pasó el tiempo para esta acta y ya se asignó a otra persona. Siga con la siguiente.'
        : sent.code === 'after-close'
          ? AFTER_CLOSE_TEXT
          : `No se registró: ${sent.message}`,
    );
    return sent.code === 'claim-taken' ? { answer: null, taken: true } : null;
  }
  return { answer: sent.value, taken: false };
}

function CaptureScreen() {
  const [values, setValues] = useState<Map<string, BoxValue>>(new Map());
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const { work, show, again } = useQueue(nextCapture, () => setValues(new Map()), setMessage);
  if (work.state !== 'ready')
    return (
      <Waiting
        title="Captura"
        loading={work.state === 'loading'}
        empty="No hay actas por capturar; se buscan cada pocos segundos."
        message={message}
      />
    );
  const { task } = work;
  const boxes = boxesOf(task.columns);
  const submit = async () => {
    const sent = await sendBoxes(
      boxes,
      values,
      (fields) => sendCapture(task.recordId, fields),
      setMessage,
      setBusy,
    );
    if (sent === null) return;
    // Taken by someone else meanwhile: on to the next acta, the message says why.
    if (sent.taken) return again();
    setMessage(`Acta ${task.actaKey ?? task.recordId} registrada.`);
    show(sent.answer?.next ?? null);
  };
  return (
    <section class="work" aria-labelledby="acta-titulo">
      <h2 id="acta-titulo">
        Captura · acta <span class="acta-key">{task.actaKey ?? 'sin clave'}</span> · {task.contest}
      </h2>
      <p role="status" class="message">
        {message}
      </p>
      <div class="side-by-side">
        <ActaImage sha256={task.imageSha256} actaKey={task.actaKey} lines={boxes.length} />
        <BoxForm
          recordId={task.recordId}
          boxes={boxes}
          values={values}
          onChange={(key, value) => setValues((before) => new Map(before).set(key, value))}
          onSubmit={submit}
          submitLabel="Enviar captura"
          busy={busy}
        />
      </div>
    </section>
  );
}

function VerificationScreen() {
  const [values, setValues] = useState<Map<string, BoxValue>>(new Map());
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const prepare = (task: VerificationTask) => {
    const boxes = boxesOf(task.columns);
    const [a, b] = task.captures;
    const agreed = new Map<string, BoxValue>();
    if (a !== undefined && b !== undefined) {
      const first = fromFields(boxes, a);
      const second = fromFields(boxes, b);
      // Where both capturistas agree the value is offered; where they differ, the box is empty.
      for (const box of boxes)
        if (first.get(box.key) === second.get(box.key)) agreed.set(box.key, first.get(box.key) ?? '');
    }
    setValues(agreed);
  };
  const { work, again } = useQueue(nextVerification, prepare, setMessage);
  if (work.state !== 'ready')
    return (
      <Waiting
        title="Verificación"
        loading={work.state === 'loading'}
        empty="No hay actas por verificar; se buscan cada pocos segundos."
        message={message}
      />
    );
  const { task } = work;
  const boxes = boxesOf(task.columns);
  const [a, b] = task.captures;
  const differ = a !== undefined && b !== undefined ? differences(boxes, a, b) : new Set<string>();
  const captured = task.captures.map((c) => fromFields(boxes, c));
  const firstDiffering = boxes.find((box) => differ.has(box.key))?.key;
  const submit = async () => {
    const sent = await sendBoxes(
      boxes,
      values,
      (fields) => sendVerification(task.recordId, fields),
      setMessage,
      setBusy,
    );
    if (sent === null) return;
    if (!sent.taken) setMessage(`Acta ${task.actaKey ?? task.recordId} verificada.`);
    again();
  };
  const beside = (box: Box) =>
    captured.map((values, i) => (
      <td key={i} class="captured">
        {shown(values.get(box.key) ?? '')}
        {differ.has(box.key) && i === 0 && <span class="differs-mark"> (difiere)</span>}
      </td>
    ));
  return (
    <section class="work" aria-labelledby="acta-titulo">
      <h2 id="acta-titulo">
        Verificación · acta <span class="acta-key">{task.actaKey ?? 'sin clave'}</span> · {task.contest}
      </h2>
      <p>
        Las dos capturas difieren en {differ.size} {differ.size === 1 ? 'casilla' : 'casillas'}, marcadas. Lea
        el valor en la imagen y escríbalo.
      </p>
      <p role="status" class="message">
        {message}
      </p>
      <div class="side-by-side">
        <ActaImage
          sha256={task.imageSha256}
          actaKey={task.actaKey}
          lines={boxes.length}
          marked={boxes.flatMap((box, line) => (differ.has(box.key) ? [line] : []))}
        />
        <div>
          <p class="captures-head" aria-hidden="true">
            Captura 1 · Captura 2 · Valor correcto
          </p>
          <BoxForm
            recordId={task.recordId}
            boxes={boxes}
            values={values}
            onChange={(key, value) => setValues((before) => new Map(before).set(key, value))}
            onSubmit={submit}
            beside={beside}
            highlighted={differ}
            {...(firstDiffering === undefined ? {} : { focusFirst: firstDiffering })}
            submitLabel="Registrar valores verificados"
            busy={busy}
          />
        </div>
      </div>
    </section>
  );
}

const ROLE_NAMES: Readonly<Record<string, string>> = {
  capturista: 'Capturista',
  verificador: 'Verificador(a)',
  coordinador: 'Coordinador(a)',
  auditor: 'Auditor(a)',
  administrador: 'Administrador(a)',
  publicador: 'Publicador(a)',
};

function Workspace(props: { operator: Operator; onSignOut: () => void }) {
  const { operator } = props;
  const screens = [
    ...(['capturista', 'coordinador'].includes(operator.role) ? (['captura'] as const) : []),
    ...(['verificador', 'coordinador'].includes(operator.role) ? (['verificacion'] as const) : []),
    ...(operator.role === 'coordinador' ? (['cotejo'] as const) : []),
    ...(['coordinador', 'auditor', 'administrador'].includes(operator.role) ? (['tablero'] as const) : []),
    ...(['administrador', 'publicador'].includes(operator.role) ? (['administracion'] as const) : []),
  ];
  const SCREEN_NAMES = {
    captura: 'Captura',
    verificacion: 'Verificación',
    cotejo: 'Cotejo',
    tablero: 'Tablero',
    administracion: 'Administración',
  } as const;
  const [screen, setScreen] = useState(screens[0] ?? null);
  return (
    <>
      <header class="console-header">
        <span>
          <strong>OpenPREP · Consola</strong> · {operator.name ?? operator.username} ·{' '}
          {ROLE_NAMES[operator.role] ?? operator.role} · {operator.scope}
        </span>
        <nav aria-label="Pantallas">
          {screens.map((s) => (
            <button key={s} type="button" aria-pressed={screen === s} onClick={() => setScreen(s)}>
              {SCREEN_NAMES[s]}
            </button>
          ))}
          <button
            type="button"
            onClick={async () => {
              await signOut();
              props.onSignOut();
            }}
          >
            Salir
          </button>
        </nav>
      </header>
      <main id="contenido">
        <h1 class="visually-hidden">Consola de operación</h1>
        {screen === 'captura' && <CaptureScreen />}
        {screen === 'verificacion' && <VerificationScreen />}
        {screen === 'cotejo' && <CotejoScreen />}
        {screen === 'tablero' && <DashboardScreen />}
        {screen === 'administracion' && <AdminScreen operator={operator} />}
        {screen === null && <p>Su función no tiene pantallas en esta consola todavía.</p>}
      </main>
    </>
  );
}

function Console() {
  const [operator, setOperator] = useState<Operator | null | undefined>(undefined);
  useEffect(() => {
    void currentOperator().then(setOperator);
  }, []);
  if (operator === undefined) return <p aria-busy="true">Cargando…</p>;
  if (operator === null) return <SignIn onSignedIn={setOperator} />;
  return <Workspace operator={operator} onSignOut={() => setOperator(null)} />;
}

const root = document.getElementById('app');
if (root !== null) render(<Console />, root);
