/**
 * The two forms of a package on the wire, read up to the image: the lean form (the image is the
 * body, the signed header and signature ride in HTTP headers) and multipart/form-data (the fields
 * package and signature, then the file image). Nothing of the image is read here.
 *
 * What the multipart parser throws is about the client's bytes (a missing boundary, a malformed
 * part, a body that ends early): it is answered 4xx here. Nothing here touches the store or the
 * disk, so no fault of ours can come out of this file as a 4xx.
 */
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { err, ok, type Result } from '../domain/result.ts';

export interface SignedUpload {
  readonly header: string;
  readonly signature: string;
  readonly image: Readable;
}

export type UploadFormError = 'bad-request' | 'truncated' | 'too-large';

export function headersOf(request: FastifyRequest): Result<SignedUpload, UploadFormError> {
  const packageHeader = request.headers['openprep-package'];
  const signature = request.headers['openprep-signature'];
  if (typeof packageHeader !== 'string' || typeof signature !== 'string')
    return err('bad-request', 'the OpenPREP-Package and OpenPREP-Signature headers are required');
  return ok({
    header: Buffer.from(packageHeader, 'base64url').toString('utf8'),
    signature,
    image: request.body as Readable,
  });
}

export async function fieldsOf(request: FastifyRequest): Promise<Result<SignedUpload, UploadFormError>> {
  let header: string | undefined;
  let signature: string | undefined;
  const parts = request.parts()[Symbol.asyncIterator]();
  // The multipart parser may wait for good on a connection that is gone (the client vanished,
  // or a deadline closed it): the connection's end settles the wait.
  const socket = request.raw.socket;
  let onClose: () => void = () => {};
  const gone = new Promise<'gone'>((resolve) => {
    onClose = () => resolve('gone');
    if (socket.destroyed) resolve('gone');
    else socket.once('close', onClose);
  });
  try {
    for (;;) {
      let next: IteratorResult<Awaited<ReturnType<typeof parts.next>>['value']> | 'gone';
      try {
        next = await Promise.race([parts.next(), gone]);
      } catch (error) {
        return multipartError(error);
      }
      if (next === 'gone') return err('truncated', 'the connection closed before the package was read');
      if (next.done === true) return err('bad-request', 'no image file in the request');
      const part = next.value;
      if (part.type === 'field') {
        if (typeof part.value !== 'string') return err('bad-request', `field ${part.fieldname} is not text`);
        if (part.fieldname === 'package' && header === undefined) header = part.value;
        else if (part.fieldname === 'signature' && signature === undefined) signature = part.value;
        else return err('bad-request', `unexpected field ${JSON.stringify(part.fieldname)}`);
        continue;
      }
      if (part.fieldname !== 'image' || header === undefined || signature === undefined)
        return err('bad-request', 'the fields package and signature come first, then the file image');
      return ok({ header, signature, image: part.file });
    }
  } finally {
    socket.off('close', onClose);
  }
}

function multipartError(error: unknown): Result<never, UploadFormError> {
  const e = error as Error & { statusCode?: number };
  if (e.statusCode === 413) return err('too-large', e.message);
  if (/Unexpected end of form|Part terminated early|aborted/i.test(e.message))
    return err('truncated', `the multipart body ends early: ${e.message}`);
  return err('bad-request', `the multipart body cannot be read: ${e.message}`);
}
