/**
 * Administration in the console, for administradores and publicadores: their security key
 * (registered once after signing in; every privileged action needs a confirmation with it in
 * the last 10 minutes, asked for when the server requires it), publishing a cut now, revoking a
 * device, and the purge.
 */
import { useState } from 'preact/hooks';
import {
  confirmWithSecurityKey,
  type Operator,
  publishCutNow,
  purge,
  registerSecurityKey,
  revokeDevice,
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
