import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../src/crypto/bytes.ts';
import { inboxLinkPath, parseInboxLink, parseRequestLink, requestLinkPath } from '../../../src/requests/links.ts';

const id = 'AbCdEfGhIjKlMnOpQrStUv';
const digest = `${'a'.repeat(42)}A`;
const secret = new Uint8Array(32).map((_, i) => i * 7);
const split = (path: string) => {
  const at = path.indexOf('#');
  return [path.slice(0, at), path.slice(at)] as const;
};

describe('request and inbox links', () => {
  it('round-trip', () => {
    const request = { id, fingerprint: digest, cardSecret: secret };
    expect(parseRequestLink(...split(requestLinkPath(request)))).toEqual(request);
    const inbox = { id, ownerToken: digest, inboxSecret: secret };
    expect(parseInboxLink(...split(inboxLinkPath(inbox)))).toEqual(inbox);
  });

  it('refuse every damaged or hostile piece with BadLink', () => {
    const good = `#${digest}.${toBase64Url(secret)}`;
    const cases: [string, string][] = [
      [`/r/${id.slice(1)}`, good],
      [`/r/../${id}`, good],
      [`/r/${id}/x`, good],
      [`/i/${id}`, good],
      [`/r/${id}`, `#${digest}`],
      [`/r/${id}`, `#${digest}.${toBase64Url(secret.subarray(1))}`],
      [`/r/${id}`, `#${digest.slice(1)}.${toBase64Url(secret)}`],
      [`/r/${id}`, `${good}.extra`],
      [`/r/${id}`, `#${digest}.${toBase64Url(secret)}=`],
      [`/r/${id}`, ''],
    ];
    for (const [path, hash] of cases) expect(() => parseRequestLink(path, hash), `${path}${hash}`).toThrow(expect.objectContaining({ code: 'BadLink' }));
    expect(() => parseInboxLink(`/r/${id}`, good)).toThrow(expect.objectContaining({ code: 'BadLink' }));
  });
});
