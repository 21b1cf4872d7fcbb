/**
 * The operators' console, served by `openprep serve` at /consola/: sign-in with password and
 * TOTP, the capture screen (the acta's image beside its boxes, keyboard only, the next acta
 * loaded with the answer to the last) and the verification screen (both captures, their
 * differences highlighted, the right values typed from the image).
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { Result } from '../domain/result.ts';
import {
  type ApiError,
  changePassword,
  currentOperator,
  PASSWORD_CHANGE_REQUIRED_EVENT,
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
import { AccessReviewScreen } from './access_review.tsx';
import { AdminScreen } from './admin.tsx';
import { BoxForm } from './boxes.tsx';
import { CotejoScreen } from './cotejo.tsx';
import { DashboardScreen } from './dashboard.tsx';
import { SecurityScreen } from './security.tsx';
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
import { fill, type Language, roleWords, setLanguage, WORDS, type Words } from './i18n.ts';
import { LanguageContext, useWords } from './words.ts';

const WAIT_MS = 3_000;

function SignIn(props: {
  onSignedIn: (operator: Operator) => void;
  languageButton: preact.ComponentChildren;
}) {
  const words = useWords();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="contenido">
      <div class="sign-in-head">
        <h1>{words.signInTitle}</h1>
        {props.languageButton}
      </div>
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
        <label for="username">{words.username}</label>
        <input id="username" name="username" autoComplete="username" required />
        <label for="password">{words.password}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <label for="code">{words.totpCode}</label>
        <input
          id="code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          required
        />
        <button type="submit" disabled={busy}>
          {words.signIn}
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
 * The operator changes their own password: the current one, the new one twice, and a code
 * when the center asks (a sign-in older than a few minutes). `required` says why it cannot
 * wait (a breach, or a password an administrator set): then there is no way back but this.
 */
function ChangePassword(props: { required: string | undefined; onChanged: () => void; onBack: () => void }) {
  const words = useWords();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="change-password">
      <h2>{words.changePasswordTitle}</h2>
      {props.required !== undefined && (
        <p role="alert" class="must-change">
          {props.required === 'reset' ? words.mustChangeReset : words.mustChangeBreached}
        </p>
      )}
      <form
        class="sign-in"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          if (form.get('new-password') !== form.get('repeat-password')) {
            setError(words.passwordsDiffer);
            return;
          }
          setBusy(true);
          const result = await changePassword(
            String(form.get('current-password')),
            String(form.get('new-password')),
            String(form.get('change-code') ?? ''),
          );
          setBusy(false);
          if (result.ok) props.onChanged();
          else setError(result.message);
        }}
      >
        <label for="current-password">{words.currentPassword}</label>
        <input
          id="current-password"
          name="current-password"
          type="password"
          autoComplete="current-password"
          required
        />
        <label for="new-password">{words.newPassword}</label>
        <input
          id="new-password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          minLength={12}
          required
        />
        <label for="repeat-password">{words.repeatPassword}</label>
        <input
          id="repeat-password"
          name="repeat-password"
          type="password"
          autoComplete="new-password"
          minLength={12}
          required
        />
        <label for="change-code">{words.codeIfAsked}</label>
        <input
          id="change-code"
          name="change-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
        />
        <button type="submit" disabled={busy}>
          {words.changePassword}
        </button>
        {props.required === undefined && (
          <button type="button" onClick={props.onBack}>
            {words.backToWork}
          </button>
        )}
        {error !== null && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </section>
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
  const words = useWords();
  const [sheet, setSheet] = useState(false);
  if (props.sha256 === null) return <p class="no-image">{words.noImage}</p>;
  const height = pageHeight(props.lines);
  return (
    <figure class="acta-image" key={props.sha256}>
      <div class="sheet-frame">
        <img
          src={sheetUrl(props.sha256)}
          alt={fill(words.imageAlt, { key: props.actaKey ?? '' })}
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
        {words.sheetCaption} ·{' '}
        <a href={imageUrl(props.sha256)} target="_blank" rel="noopener">
          {words.originalImage}
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
  const words = useWords();
  return (
    <section>
      <h2>{props.title}</h2>
      <p role="status">{props.loading ? words.findingNext : props.empty}</p>
      <p role="status" class="message">
        {props.message}
      </p>
    </section>
  );
}

/** Sends the boxes once all are filled; says what is missing or what the center refused. */
async function sendBoxes<R>(
  words: Words,
  boxes: readonly Box[],
  values: ReadonlyMap<string, BoxValue>,
  send: (fields: ApiFields) => Promise<Result<R | null, ApiError>>,
  setMessage: (message: string) => void,
  setBusy: (busy: boolean) => void,
): Promise<{ readonly answer: R | null; readonly taken: boolean } | null> {
  const fields = toFields(boxes, values);
  if (!fields.ok) {
    setMessage(fill(words.missingBox, { box: fields.message }));
    return null;
  }
  setBusy(true);
  const sent = await send(fields.value);
  setBusy(false);
  if (!sent.ok) {
    // after-close's message is already the whole sentence ("No se registró: el PREP ya cerró…").
    setMessage(
      sent.code === 'claim-taken'
        ? words.claimTaken
        : sent.code === 'after-close'
          ? sent.message
          : sent.code === 'acta-gone'
            ? fill(words.movedOn, { reason: sent.message })
            : fill(words.notRecorded, { reason: sent.message }),
    );
    // An acta that is no longer this person's to finish is left: the screen moves on by itself.
    // Any other refusal (a box the center refused, the center unreachable) keeps the acta and its
    // values on screen to send again.
    const gone = sent.code === 'claim-taken' || sent.code === 'acta-gone' || sent.code === 'after-close';
    return gone ? { answer: null, taken: true } : null;
  }
  return { answer: sent.value, taken: false };
}

function CaptureScreen() {
  const words = useWords();
  const [values, setValues] = useState<Map<string, BoxValue>>(new Map());
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const { work, show, again } = useQueue(nextCapture, () => setValues(new Map()), setMessage);
  if (work.state !== 'ready')
    return (
      <Waiting
        title={words.screenCapture}
        loading={work.state === 'loading'}
        empty={words.noCapture}
        message={message}
      />
    );
  const { task } = work;
  const boxes = boxesOf(task.columns, words);
  const submit = async () => {
    const sent = await sendBoxes(
      words,
      boxes,
      values,
      (fields) => sendCapture(task.recordId, fields),
      setMessage,
      setBusy,
    );
    if (sent === null) return;
    // No longer this person's acta: on to the next acta, the message says why.
    if (sent.taken) return again();
    setMessage(fill(words.captureSent, { key: task.actaKey ?? task.recordId }));
    show(sent.answer?.next ?? null);
  };
  return (
    <section class="work" aria-labelledby="acta-titulo">
      <h2 id="acta-titulo">
        {words.captureTitle} <span class="acta-key">{task.actaKey ?? words.noKey}</span> · {task.contest}
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
          submitLabel={words.sendCapture}
          busy={busy}
        />
      </div>
    </section>
  );
}

function VerificationScreen() {
  const words = useWords();
  const [values, setValues] = useState<Map<string, BoxValue>>(new Map());
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const prepare = (task: VerificationTask) => {
    const boxes = boxesOf(task.columns, words);
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
        title={words.screenVerification}
        loading={work.state === 'loading'}
        empty={words.noVerification}
        message={message}
      />
    );
  const { task } = work;
  const boxes = boxesOf(task.columns, words);
  const [a, b] = task.captures;
  const differ = a !== undefined && b !== undefined ? differences(boxes, a, b) : new Set<string>();
  const captured = task.captures.map((c) => fromFields(boxes, c));
  const firstDiffering = boxes.find((box) => differ.has(box.key))?.key;
  const submit = async () => {
    const sent = await sendBoxes(
      words,
      boxes,
      values,
      (fields) => sendVerification(task.recordId, fields),
      setMessage,
      setBusy,
    );
    if (sent === null) return;
    if (!sent.taken) setMessage(fill(words.verified, { key: task.actaKey ?? task.recordId }));
    again();
  };
  const beside = (box: Box) =>
    captured.map((values, i) => (
      <td key={i} class="captured">
        {shown(values.get(box.key) ?? '')}
        {differ.has(box.key) && i === 0 && <span class="differs-mark"> {words.differsMark}</span>}
      </td>
    ));
  return (
    <section class="work" aria-labelledby="acta-titulo">
      <h2 id="acta-titulo">
        {words.verificationTitle} <span class="acta-key">{task.actaKey ?? words.noKey}</span> · {task.contest}
      </h2>
      <p>{differ.size === 1 ? words.differOne : fill(words.differMany, { count: String(differ.size) })}</p>
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
            {words.capturesHead}
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
            submitLabel={words.sendVerified}
            busy={busy}
          />
        </div>
      </div>
    </section>
  );
}

type Screen = 'captura' | 'verificacion' | 'cotejo' | 'tablero' | 'seguridad' | 'administracion' | 'accesos';

function screenWords(screen: Screen, words: Words): string {
  return {
    captura: words.screenCapture,
    verificacion: words.screenVerification,
    cotejo: words.screenCotejo,
    tablero: words.screenDashboard,
    seguridad: words.screenSecurity,
    administracion: words.screenAdmin,
    accesos: words.screenAccessReview,
  }[screen];
}

function Workspace(props: {
  operator: Operator;
  onSignOut: () => void;
  /** The center said this account must change its password (or it did): read the operator again. */
  onOperatorChanged: () => void;
  languageButton: preact.ComponentChildren;
}) {
  const { operator } = props;
  const words = useWords();
  const [changing, setChanging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const mustChange = operator.mustChangePassword;
  const screens: Screen[] = [
    ...(['capturista', 'coordinador'].includes(operator.role) ? (['captura'] as const) : []),
    ...(['verificador', 'coordinador'].includes(operator.role) ? (['verificacion'] as const) : []),
    ...(operator.role === 'coordinador' ? (['cotejo'] as const) : []),
    ...(['coordinador', 'auditor', 'administrador'].includes(operator.role) ? (['tablero'] as const) : []),
    ...(['seguridad', 'auditor', 'administrador'].includes(operator.role) ? (['seguridad'] as const) : []),
    ...(['administrador', 'publicador'].includes(operator.role) ? (['administracion'] as const) : []),
    ...(['seguridad', 'administrador', 'auditor'].includes(operator.role) ? (['accesos'] as const) : []),
  ];
  const [screen, setScreen] = useState(screens[0] ?? null);
  return (
    <>
      <header class="console-header">
        <span>
          <strong>{words.consoleName}</strong> · {operator.name ?? operator.username} ·{' '}
          {roleWords(operator.role, words)} · {operator.scope}
        </span>
        <nav aria-label={words.screens}>
          {mustChange === undefined &&
            screens.map((s) => (
              <button
                key={s}
                type="button"
                aria-pressed={!changing && screen === s}
                onClick={() => {
                  setChanging(false);
                  setScreen(s);
                }}
              >
                {screenWords(s, words)}
              </button>
            ))}
          {mustChange === undefined && (
            <button type="button" aria-pressed={changing} onClick={() => setChanging(true)}>
              {words.changePassword}
            </button>
          )}
          {props.languageButton}
          <button
            type="button"
            onClick={async () => {
              await signOut();
              props.onSignOut();
            }}
          >
            {words.signOut}
          </button>
        </nav>
      </header>
      <main id="contenido">
        <h1 class="visually-hidden">{words.operationConsole}</h1>
        {notice !== null && (
          <p role="status" class="message">
            {notice}
          </p>
        )}
        {mustChange !== undefined || changing ? (
          <ChangePassword
            required={mustChange}
            onBack={() => setChanging(false)}
            onChanged={() => {
              setChanging(false);
              setNotice(words.passwordChanged);
              props.onOperatorChanged();
            }}
          />
        ) : (
          <>
            {screen === 'captura' && <CaptureScreen />}
            {screen === 'verificacion' && <VerificationScreen />}
            {screen === 'cotejo' && <CotejoScreen />}
            {screen === 'tablero' && <DashboardScreen />}
            {screen === 'seguridad' && <SecurityScreen />}
            {screen === 'administracion' && <AdminScreen operator={operator} />}
            {screen === 'accesos' && <AccessReviewScreen />}
            {screen === null && <p>{words.noScreens}</p>}
          </>
        )}
      </main>
    </>
  );
}

const LANGUAGE_KEY = 'openprep-console-language';

/** Spanish unless this browser chose English here before, or asks for it with ?lang=en. */
function initialLanguage(): Language {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'es' || asked === 'en') return asked;
  return localStorage.getItem(LANGUAGE_KEY) === 'en' ? 'en' : 'es';
}

function Console() {
  const [language, chooseLanguage] = useState<Language>(initialLanguage);
  const [operator, setOperator] = useState<Operator | null | undefined>(undefined);
  const words = WORDS[language];
  setLanguage(language);
  useEffect(() => {
    void currentOperator().then(setOperator);
    // Any screen's call may learn that this account must change its password (a re-check found
    // it meanwhile): the operator is read again, and the console shows the change form.
    const reread = () => void currentOperator().then(setOperator);
    window.addEventListener(PASSWORD_CHANGE_REQUIRED_EVENT, reread);
    return () => window.removeEventListener(PASSWORD_CHANGE_REQUIRED_EVENT, reread);
  }, []);
  // Before the browser paints the new words: the page never reads as one language labelled another.
  useLayoutEffect(() => {
    document.documentElement.lang = language;
    document.title = words.consoleTitle;
    localStorage.setItem(LANGUAGE_KEY, language);
  }, [language]);
  const languageButton = (
    <button
      type="button"
      class="language"
      lang={words.otherLanguageCode}
      onClick={() => chooseLanguage(language === 'es' ? 'en' : 'es')}
    >
      {words.otherLanguage}
    </button>
  );
  return (
    <LanguageContext.Provider value={language}>
      {operator === undefined ? (
        <p aria-busy="true">{words.loading}</p>
      ) : operator === null ? (
        <SignIn onSignedIn={setOperator} languageButton={languageButton} />
      ) : (
        <Workspace
          operator={operator}
          onSignOut={() => setOperator(null)}
          onOperatorChanged={() => void currentOperator().then(setOperator)}
          languageButton={languageButton}
        />
      )}
    </LanguageContext.Provider>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<Console />, root);
