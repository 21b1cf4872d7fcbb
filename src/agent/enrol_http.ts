/**
 * Enrolling a device over HTTP, the way both field devices do it: a coordinator signs in
 * (password and TOTP code), the device's public key — made on the device — is sent to
 * `POST /api/v1/devices`, and the coordinator is signed out again whatever happened. Uses
 * only `fetch`, so the phone app and the CATD agent share it.
 */
import { type FetchLike, noAnswerReason } from './transport.ts';

export interface EnrolmentAnswer {
  readonly electionKey: string;
  readonly contests: readonly string[];
  readonly utcOffsetMinutes: number;
}

export type EnrolmentResult =
  | { readonly ok: true; readonly value: EnrolmentAnswer }
  | {
      readonly ok: false;
      readonly code: 'sign-in-failed' | 'refused' | 'no-answer';
      readonly message: string;
    };

export async function enrolOverHttp(input: {
  readonly centerUrl: string;
  readonly username: string;
  readonly password: string;
  readonly code: string;
  readonly deviceId: string;
  readonly publicKey: string;
  readonly origin: 'CASILLA' | 'CATD';
  readonly boundTo: string;
  /** The agent's fetch that trusts only its center's CA (pinned_fetch.ts); the platform's by default. */
  readonly fetch?: FetchLike;
}): Promise<EnrolmentResult> {
  const fetch = input.fetch ?? globalThis.fetch;
  const url = (path: string) => new URL(path, input.centerUrl).toString();
  let session: Response;
  try {
    session = await fetch(url('/api/v1/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: input.username, password: input.password, code: input.code }),
    });
  } catch (error) {
    return {
      ok: false,
      code: 'no-answer',
      message: `the center does not answer: ${noAnswerReason(error)}`,
    };
  }
  if (session.status !== 201)
    return { ok: false, code: 'sign-in-failed', message: `sign-in refused (${session.status})` };
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  // Node's fetch keeps no cookies: the session cookie goes back by hand (browsers send it anyway).
  const cookie = session.headers.get('set-cookie')?.split(';')[0];
  const headers: Record<string, string> = { 'x-csrf-token': csrfToken, ...(cookie ? { cookie } : {}) };
  try {
    const answer = await fetch(url('/api/v1/devices'), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: input.deviceId,
        publicKey: input.publicKey,
        origin: input.origin,
        boundTo: input.boundTo,
      }),
    });
    const body = (await answer.json().catch(() => ({}))) as Partial<EnrolmentAnswer> & { message?: string };
    if (answer.status !== 201 || typeof body.electionKey !== 'string')
      return { ok: false, code: 'refused', message: body.message ?? `enrolment refused (${answer.status})` };
    return {
      ok: true,
      value: {
        electionKey: body.electionKey,
        contests: body.contests ?? [],
        utcOffsetMinutes: body.utcOffsetMinutes ?? -360,
      },
    };
  } catch (error) {
    return {
      ok: false,
      code: 'no-answer',
      message: `the center stopped answering: ${(error as Error).message}`,
    };
  } finally {
    await fetch(url('/api/v1/session'), { method: 'DELETE', headers }).catch(() => undefined);
  }
}
