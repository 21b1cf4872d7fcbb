/**
 * Administration in the console, for administradores and publicadores: their security key
 * (registered once after signing in; every privileged action needs a confirmation with it in
 * the last 10 minutes, asked for when the server requires it), publishing a cut now, revoking a
 * device, and the purge.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  type Account,
  accountsList,
  type CreatedAccount,
  confirmWithSecurityKey,
  createAccount,
  type Operator,
  publishCutNow,
  purge,
  registerSecurityKey,
  revokeDevice,
  setAccountAccess,
} from './api.ts';
import { fill, LOCALE, roleWords } from './i18n.ts';
import { useLanguage, useWords } from './words.ts';

export function AdminScreen(props: { operator: Operator }) {
  const { operator } = props;
  const words = useWords();
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setMessage('');
    setMessage(await what());
    setBusy(false);
  };
  return (
    <section aria-labelledby="admin-titulo" class="admin">
      <h2 id="admin-titulo">{words.screenAdmin}</h2>
      <p role="status" class="message">
        {message}
      </p>
      <h3>{words.securityKey}</h3>
      <p>{words.securityKeyHelp}</p>
      <div class="actions">
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              const r = await registerSecurityKey();
              return r.ok ? words.keyRegistered : fill(words.keyNotRegistered, { reason: r.message });
            })
          }
        >
          {words.registerKey}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              const r = await confirmWithSecurityKey();
              return r.ok ? words.keyConfirmed : fill(words.keyNotConfirmed, { reason: r.message });
            })
          }
        >
          {words.confirmKey}
        </button>
      </div>
      {operator.role === 'publicador' && (
        <>
          <h3>{words.publication}</h3>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const r = await publishCutNow();
                if (!r.ok) return fill(words.notPublished, { reason: r.message });
                const cut = r.value!;
                return fill(cut.final ? words.finalCutPublished : words.cutPublished, {
                  id: cut.id,
                  sequence: String(cut.sequence),
                });
              })
            }
          >
            {words.publishNow}
          </button>
        </>
      )}
      {operator.role === 'administrador' && <Accounts scope={operator.scope} />}
      {operator.role === 'administrador' && (
        <>
          <h3>{words.revokeDevice}</h3>
          <form
            class="admin-form"
            onSubmit={(event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              void run(async () => {
                const id = String(form.get('device'));
                const r = await revokeDevice(id, String(form.get('reason')));
                return r.ok
                  ? fill(words.deviceRevoked, { id })
                  : fill(words.notRevoked, { reason: r.message });
              });
            }}
          >
            <label for="device">{words.deviceId}</label>
            <input id="device" name="device" required autoComplete="off" />
            <label for="device-reason">{words.reason}</label>
            <input id="device-reason" name="reason" required maxLength={500} />
            <button type="submit" disabled={busy}>
              {words.revoke}
            </button>
          </form>
          <h3>{words.purgeTitle}</h3>
          <form
            class="admin-form"
            onSubmit={(event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              void run(async () => {
                const r = await purge(String(form.get('scope')), String(form.get('reason')));
                return r.ok ? words.purgeDone : fill(words.purgeNotDone, { reason: r.message });
              });
            }}
          >
            <label for="scope">{words.purgeScope}</label>
            <input id="scope" name="scope" required autoComplete="off" />
            <label for="purge-reason">{words.reason}</label>
            <input id="purge-reason" name="reason" required maxLength={500} />
            <label class="confirm">
              <input type="checkbox" name="confirm" required /> {words.purgeConfirm}
            </label>
            <button type="submit" disabled={busy}>
              {words.purge}
            </button>
          </form>
        </>
      )}
    </section>
  );
}

const ROLE_OPTIONS = [
  'capturista',
  'verificador',
  'coordinador',
  'auditor',
  'seguridad',
  'administrador',
  'publicador',
];

/** An expiry chosen as a day (a date input's value): the end of that day, local time; none when empty. */
const endOfDay = (day: string) => (day === '' ? null : new Date(`${day}T23:59:59`).toISOString());

/** Disable or enable an account, set or clear its expiry, saying why (journaled). */
function AccessForm(props: { account: Account; onDone: (message: string) => Promise<void> }) {
  const a = props.account;
  const words = useWords();
  const [busy, setBusy] = useState(false);
  const id = `access-${a.id}`;
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  return (
    <details>
      <summary>{fill(words.changeAccess, { username: a.username })}</summary>
      <form
        class="admin-form access-form"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          const expires = String(form.get('expires') ?? '');
          setBusy(true);
          void setAccountAccess(a.id, {
            disabled: form.get('state') === 'disabled',
            expiresAt: endOfDay(expires),
            reason: String(form.get('reason') ?? ''),
          }).then(async (result) => {
            setBusy(false);
            await props.onDone(
              result.ok
                ? fill(words.accessUpdated, { username: a.username })
                : fill(words.accessNotChanged, { reason: result.message }),
            );
          });
        }}
      >
        <label for={`${id}-state`}>{words.accountState}</label>
        <select id={`${id}-state`} name="state" value={a.disabledAt === null ? 'enabled' : 'disabled'}>
          <option value="enabled">{words.enabled}</option>
          <option value="disabled">{words.disabledClosesSessions}</option>
        </select>
        <label for={`${id}-expires`}>{words.expiresEmptyNever}</label>
        <input
          id={`${id}-expires`}
          name="expires"
          type="date"
          value={a.expiresAt === null ? '' : day(a.expiresAt)}
        />
        <label for={`${id}-reason`}>{words.reasonJournaled}</label>
        <input id={`${id}-reason`} name="reason" required minLength={3} maxLength={500} autoComplete="off" />
        <button type="submit" disabled={busy}>
          {words.saveAccess}
        </button>
      </form>
    </details>
  );
}

/** Accounts of the administrador's scope: the list, and a new one whose second factor is shown once. */
function Accounts(props: { scope: string }) {
  const words = useWords();
  const language = useLanguage();
  const [accounts, setAccounts] = useState<readonly Account[] | null>(null);
  const [created, setCreated] = useState<CreatedAccount | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const reload = async () => {
    const list = await accountsList();
    if (list.ok) setAccounts(list.value ?? []);
    else setMessage(list.message);
  };
  useEffect(() => {
    void reload();
  }, []);
  return (
    <>
      <h3>{words.accounts}</h3>
      <p role="status" class="message">
        {message}
      </p>
      {created !== null && (
        <div class="enrolment" role="alert">
          <p>
            <strong>
              {fill(words.accountCreated, {
                username: created.username,
                role: roleWords(created.role, words),
                scope: created.scope,
              })}
            </strong>{' '}
            {words.handSeed} <strong>{words.shownOnce}</strong>
          </p>
          <p>
            {words.seed}: <code class="seed">{created.totpSecret}</code>
          </p>
          <p>
            <code class="seed">{created.totpUri}</code>
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            {words.seedHanded}
          </button>
        </div>
      )}
      <form
        class="admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          const element = event.currentTarget as HTMLFormElement;
          const form = new FormData(element);
          const expires = String(form.get('expires') ?? '');
          setBusy(true);
          void createAccount({
            username: String(form.get('username')),
            name: String(form.get('name')),
            role: String(form.get('role')),
            scope: String(form.get('scope')),
            password: String(form.get('password')),
            expiresAt: endOfDay(expires),
          }).then(async (result) => {
            setBusy(false);
            if (!result.ok || result.value === null) {
              setMessage(fill(words.accountNotCreated, { reason: result.ok ? '' : result.message }));
              return;
            }
            element.reset();
            setMessage('');
            setCreated(result.value);
            await reload();
          });
        }}
      >
        <label for="new-username">{words.username}</label>
        <input id="new-username" name="username" required autoComplete="off" pattern="[a-z0-9._\-]{3,64}" />
        <label for="new-name">{words.name}</label>
        <input id="new-name" name="name" required autoComplete="off" />
        <label for="new-role">{words.role}</label>
        <select id="new-role" name="role" required>
          {ROLE_OPTIONS.map((role) => (
            <option key={role} value={role}>
              {roleWords(role, words)}
            </option>
          ))}
        </select>
        <label for="new-scope">{words.scope}</label>
        <input
          id="new-scope"
          name="scope"
          required
          autoComplete="off"
          value={props.scope === 'nacional' ? undefined : props.scope}
          readOnly={props.scope !== 'nacional'}
        />
        <label for="new-password">{words.initialPassword}</label>
        <input
          id="new-password"
          name="password"
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
        />
        <label for="new-expires">{words.expiresOptional}</label>
        <input id="new-expires" name="expires" type="date" />
        <button type="submit" disabled={busy}>
          {words.createAccount}
        </button>
      </form>
      {accounts !== null && (
        <table class="catds accounts">
          <caption>{fill(words.accountsOf, { scope: props.scope })}</caption>
          <thead>
            <tr>
              <th scope="col">{words.username}</th>
              <th scope="col">{words.name}</th>
              <th scope="col">{words.role}</th>
              <th scope="col">{words.scope}</th>
              <th scope="col">{words.accountState}</th>
              <th scope="col">{words.access}</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.id} data-username={a.username}>
                <th scope="row">{a.username}</th>
                <td>{a.name}</td>
                <td>{roleWords(a.role, words)}</td>
                <td>{a.scope}</td>
                <td>
                  {a.disabledAt !== null
                    ? words.accountDisabled
                    : !a.secondFactor
                      ? words.accountNoSecondFactor
                      : a.lockedUntil !== null && a.lockedUntil > Date.now()
                        ? words.accountLocked
                        : words.accountActive}
                  {a.expiresAt !== null &&
                    ` · ${fill(words.expires, { date: new Date(a.expiresAt).toLocaleDateString(LOCALE[language]) })}`}
                </td>
                <td>
                  <AccessForm
                    account={a}
                    onDone={async (text) => {
                      setMessage(text);
                      await reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
