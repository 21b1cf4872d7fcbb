/**
 * Syslog (RFC 5424 messages, syslog_format.ts) to a collector: over UDP one datagram per
 * message (RFC 5426); over TCP (RFC 6587) or TLS (RFC 5425) octet-counted frames on one
 * connection kept open and opened again when it breaks. A message counts as sent once the
 * kernel took it: syslog has no acknowledgement, so a connection that dies with frames in its
 * buffers can lose them — the journal, and the webhook when configured, are the record.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { AlertEnvelope } from './alert_envelope.ts';
import type { AlertTransport, DeliveryOutcome, SinkEvent } from './alert_sinks.ts';
import { formatSyslog, octetCounted, type SyslogOptions } from './syslog_format.ts';

export interface SyslogTarget {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
}

export const SYSLOG_DEFAULT_PORTS = { udp: 514, tcp: 601, tls: 6514 } as const;

/** `udp://host[:514]`, `tcp://host[:601]` or `tls://host[:6514]`; null when it is none of them. */
export function parseSyslogUrl(text: string): SyslogTarget | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') return null;
  return {
    protocol,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? SYSLOG_DEFAULT_PORTS[protocol] : Number(url.port),
  };
}

export interface SyslogTransportOptions {
  readonly target: SyslogTarget;
  readonly format: SyslogOptions;
  /** TLS: PEM of the CA(s) the collector's certificate must come from; none: the system's. */
  readonly ca?: string;
  /** To connect, and for a frame to be taken (TCP, TLS). */
  readonly timeoutMs: number;
  /** Connection news, for the log. */
  readonly onConnection?: (event: Extract<SinkEvent, { kind: 'disconnected' | 'connected' }>) => void;
}

/** The collector's address as people read it (and as `AlertTransport.target` says it). */
export const syslogWhere = (target: SyslogTarget): string =>
  `${target.protocol}://${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;

export function syslogTransport(options: SyslogTransportOptions): AlertTransport {
  const { target } = options;
  const where = syslogWhere(target);
  const message = (envelope: AlertEnvelope) => formatSyslog(envelope, options.format);
  if (target.protocol === 'udp') return udpTransport(where, target, message);
  return streamTransport(where, options, message);
}

function udpTransport(
  where: string,
  target: SyslogTarget,
  message: (envelope: AlertEnvelope) => Uint8Array,
): AlertTransport {
  let socket: UdpSocket | null = null;
  const open = (): UdpSocket => {
    if (socket !== null) return socket;
    const fresh = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
    fresh.on('error', () => {
      fresh.close();
      if (socket === fresh) socket = null;
    });
    fresh.unref();
    socket = fresh;
    return fresh;
  };
  return {
    kind: 'syslog',
    target: where,
    deliver: (envelope) =>
      new Promise<DeliveryOutcome>((resolve) => {
        open().send(message(envelope), target.port, target.host, (error) =>
          resolve(
            error === null || error === undefined
              ? { kind: 'done' }
              : {
                  kind: 'retry',
                  reason: `${(error as Error & { code?: string }).code ?? 'error'}: ${error.message}`,
                },
          ),
        );
      }),
    close: async () => {
      socket?.close();
      socket = null;
    },
  };
}

function streamTransport(
  where: string,
  options: SyslogTransportOptions,
  message: (envelope: AlertEnvelope) => Uint8Array,
): AlertTransport {
  const { target } = options;
  let socket: Socket | null = null;
  let closed = false;

  const lost = (which: Socket, reason: string) => {
    if (socket !== which) return;
    socket = null;
    which.destroy();
    options.onConnection?.({ kind: 'disconnected', reason });
  };

  const connect = (signal: AbortSignal): Promise<Socket | string> =>
    new Promise((resolve) => {
      const fresh =
        target.protocol === 'tls'
          ? tlsConnect({
              host: target.host,
              port: target.port,
              ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
              ...(options.ca === undefined ? {} : { ca: options.ca }),
              minVersion: 'TLSv1.2',
            })
          : tcpConnect({ host: target.host, port: target.port });
      const ready = target.protocol === 'tls' ? 'secureConnect' : 'connect';
      let settled = false;
      const finish = (result: Socket | string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const timer = setTimeout(() => {
        fresh.destroy();
        finish(`no connection within ${options.timeoutMs} ms`);
      }, options.timeoutMs);
      const onAbort = () => {
        fresh.destroy();
        finish('stopped: the service is closing');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      fresh.once(ready, () => {
        fresh.setKeepAlive(true, 30_000);
        fresh.setNoDelay(true);
        finish(fresh);
      });
      fresh.on('error', (error: Error & { code?: string }) => {
        finish(`${error.code ?? 'error'}: ${error.message}`);
        lost(fresh, `${error.code ?? 'error'}: ${error.message}`);
      });
      // A collector does not talk back; an end or a close from it is a connection gone.
      fresh.on('end', () => lost(fresh, 'the collector closed the connection'));
      fresh.on('close', () => lost(fresh, 'the connection closed'));
      fresh.on('data', () => undefined);
    });

  const deliver = async (envelope: AlertEnvelope, signal: AbortSignal): Promise<DeliveryOutcome> => {
    if (closed) return { kind: 'retry', reason: 'closed' };
    if (socket === null || socket.destroyed || socket.readableEnded) {
      const opened = await connect(signal);
      if (typeof opened === 'string') return { kind: 'retry', reason: opened };
      socket = opened;
      options.onConnection?.({ kind: 'connected' });
    }
    const using = socket;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: DeliveryOutcome, broken?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (broken !== undefined) lost(using, broken);
        resolve(outcome);
      };
      // A collector that stops reading fills the buffers and the write never completes: the
      // connection is given up and opened again, so close() and the queue are never stuck on it.
      const timer = setTimeout(() => {
        const reason = `the collector took nothing for ${options.timeoutMs} ms`;
        finish({ kind: 'retry', reason }, reason);
      }, options.timeoutMs);
      const onAbort = () => finish({ kind: 'retry', reason: 'stopped: the service is closing' }, 'closing');
      signal.addEventListener('abort', onAbort, { once: true });
      using.write(octetCounted(message(envelope)), (error) => {
        if (error === null || error === undefined) finish({ kind: 'done' });
        else finish({ kind: 'retry', reason: error.message }, error.message);
      });
    });
  };

  return {
    kind: 'syslog',
    target: where,
    deliver,
    close: async () => {
      closed = true;
      const open = socket;
      socket = null;
      if (open === null) return;
      // What was written reaches the collector before the FIN.
      await new Promise<void>((resolve) => {
        open.end(() => resolve());
        setTimeout(() => {
          open.destroy();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
