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

export function AdminScreen(props: { operator: Operator }) {
  const { operator } = props;
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
      <h2 id="admin-titulo">Administración</h2>
      <p role="status" class="message">
        {message}
      </p>
      <h3>Llave de seguridad</h3>
      <p>
        Registre su llave una vez; cada acción privilegiada pide confirmarla si no lo hizo en los últimos 10
        minutos.
      </p>
      <div class="actions">
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              const r = await registerSecurityKey();
              return r.ok ? 'Llave registrada.' : `No se registró la llave: ${r.message}`;
            })
          }
        >
          Registrar una llave de seguridad
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              const r = await confirmWithSecurityKey();
              return r.ok ? 'Confirmado con la llave por 10 minutos.' : `No se confirmó: ${r.message}`;
            })
          }
        >
          Confirmar con la llave
        </button>
      </div>
      {operator.role === 'publicador' && (
        <>
          <h3>Publicación</h3>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const r = await publishCutNow();
                if (!r.ok) return `No se publicó: ${r.message}`;
                return `Corte ${r.value!.id} publicado (número ${r.value!.sequence}${r.value!.final ? ', final' : ''}).`;
              })
            }
          >
            Publicar un corte ahora
          </button>
        </>
      )}
      {operator.role === 'administrador' && <Accounts scope={operator.scope} />}
      {operator.role === 'administrador' && (
        <>
          <h3>Revocar un dispositivo</h3>
          <form
            class="admin-form"
            onSubmit={(event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              void run(async () => {
                const id = String(form.get('device'));
                const r = await revokeDevice(id, String(form.get('reason')));
                return r.ok
                  ? `Dispositivo ${id} revocado: su siguiente paquete será rechazado.`
                  : `No se revocó: ${r.message}`;
              });
            }}
          >
            <label for="device">Identificador del dispositivo</label>
            <input id="device" name="device" required autoComplete="off" />
            <label for="device-reason">Motivo</label>
            <input id="device-reason" name="reason" required maxLength={500} />
            <button type="submit" disabled={busy}>
              Revocar
            </button>
          </form>
          <h3>Purga de accesos</h3>
          <form
            class="admin-form"
            onSubmit={(event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              void run(async () => {
                const r = await purge(String(form.get('scope')), String(form.get('reason')));
                return r.ok
                  ? 'Purga hecha: sesiones, segundos factores y llaves de dispositivos del ámbito, revocados.'
                  : `No se hizo la purga: ${r.message}`;
              });
            }}
          >
            <label for="scope">Ámbito (nacional, entidad:NN o catd:ID)</label>
            <input id="scope" name="scope" required autoComplete="off" />
            <label for="purge-reason">Motivo</label>
            <input id="purge-reason" name="reason" required maxLength={500} />
            <label class="confirm">
              <input type="checkbox" name="confirm" required /> Entiendo que todas las personas y dispositivos
              del ámbito deberán volver a darse de alta.
            </label>
            <button type="submit" disabled={busy}>
              Purgar
            </button>
          </form>
        </>
      )}
    </section>
  );
}

const ROLE_OPTIONS = ['capturista', 'verificador', 'coordinador', 'auditor', 'administrador', 'publicador'];

/** An expiry chosen as a day (a date input's value): the end of that day, local time; none when empty. */
const endOfDay = (day: string) => (day === '' ? null : new Date(`${day}T23:59:59`).toISOString());

/** Disable or enable an account, set or clear its expiry, saying why (journaled). */
function AccessForm(props: { account: Account; onDone: (message: string) => Promise<void> }) {
  const a = props.account;
  const [busy, setBusy] = useState(false);
  const id = `access-${a.id}`;
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  return (
    <details>
      <summary>Cambiar acceso de {a.username}</summary>
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
                ? `Acceso de ${a.username} actualizado.`
                : `No se cambió el acceso: ${result.message}`,
            );
          });
        }}
      >
        <label for={`${id}-state`}>Estado</label>
        <select id={`${id}-state`} name="state" value={a.disabledAt === null ? 'enabled' : 'disabled'}>
          <option value="enabled">habilitada</option>
          <option value="disabled">deshabilitada (cierra sus sesiones)</option>
        </select>
        <label for={`${id}-expires`}>Vence (vacío: no vence)</label>
        <input
          id={`${id}-expires`}
          name="expires"
          type="date"
          value={a.expiresAt === null ? '' : day(a.expiresAt)}
        />
        <label for={`${id}-reason`}>Motivo (queda en la bitácora)</label>
        <input id={`${id}-reason`} name="reason" required minLength={3} maxLength={500} autoComplete="off" />
        <button type="submit" disabled={busy}>
          Guardar acceso
        </button>
      </form>
    </details>
  );
}

/** Accounts of the administrador's scope: the list, and a new one whose second factor is shown once. */
function Accounts(props: { scope: string }) {
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
      <h3>Cuentas</h3>
      <p role="status" class="message">
        {message}
      </p>
      {created !== null && (
        <div class="enrolment" role="alert">
          <p>
            Cuenta <strong>{created.username}</strong> creada ({created.role}, {created.scope}). Entregue a la
            persona, en mano, su semilla de segundo factor para su aplicación de autenticación.{' '}
            <strong>No se volverá a mostrar.</strong>
          </p>
          <p>
            Semilla: <code class="seed">{created.totpSecret}</code>
          </p>
          <p>
            <code class="seed">{created.totpUri}</code>
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Ya la entregué
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
              setMessage(`No se creó la cuenta: ${result.ok ? '' : result.message}`);
              return;
            }
            element.reset();
            setMessage('');
            setCreated(result.value);
            await reload();
          });
        }}
      >
        <label for="new-username">Usuario</label>
        <input id="new-username" name="username" required autoComplete="off" pattern="[a-z0-9._\-]{3,64}" />
        <label for="new-name">Nombre</label>
        <input id="new-name" name="name" required autoComplete="off" />
        <label for="new-role">Función</label>
        <select id="new-role" name="role" required>
          {ROLE_OPTIONS.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
        <label for="new-scope">Ámbito</label>
        <input
          id="new-scope"
          name="scope"
          required
          autoComplete="off"
          value={props.scope === 'nacional' ? undefined : props.scope}
          readOnly={props.scope !== 'nacional'}
        />
        <label for="new-password">Contraseña inicial (12 caracteres o más; entréguela en mano)</label>
        <input
          id="new-password"
          name="password"
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
        />
        <label for="new-expires">Vence (opcional)</label>
        <input id="new-expires" name="expires" type="date" />
        <button type="submit" disabled={busy}>
          Crear cuenta
        </button>
      </form>
      {accounts !== null && (
        <table class="catds accounts">
          <caption>Cuentas del ámbito {props.scope}</caption>
          <thead>
            <tr>
              <th scope="col">Usuario</th>
              <th scope="col">Nombre</th>
              <th scope="col">Función</th>
              <th scope="col">Ámbito</th>
              <th scope="col">Estado</th>
              <th scope="col">Acceso</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.id} data-username={a.username}>
                <th scope="row">{a.username}</th>
                <td>{a.name}</td>
                <td>{a.role}</td>
                <td>{a.scope}</td>
                <td>
                  {a.disabledAt !== null
                    ? 'deshabilitada'
                    : !a.secondFactor
                      ? 'sin segundo factor (volver a dar de alta)'
                      : a.lockedUntil !== null && a.lockedUntil > Date.now()
                        ? 'en espera tras intentos fallidos'
                        : 'activa'}
                  {a.expiresAt !== null && ` · vence ${new Date(a.expiresAt).toLocaleDateString('es-MX')}`}
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
