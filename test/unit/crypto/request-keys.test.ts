/** A file request's keys: the key pair, its fingerprint, the sealed private key and card (checked against client-node), the meta's message. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContextMismatchError, CorruptedError, KeyMismatchError, WrongKeyError } from '../../../src/crypto/errors.ts';
import { rsaKeyring } from '../../../src/crypto/keyring.ts';
import { decryptBytes, encryptBytes } from '../../../src/crypto/message.ts';
import { type FileMeta, openMeta, sealMeta } from '../../../src/crypto/objects.ts';
import {
  CARD_KEY_NAME,
  generateRequestKeys,
  INBOX_KEY_NAME,
  importRequestPublicKey,
  keyFingerprint,
  MAX_CARD_NOTE_LENGTH,
  MAX_CARD_TITLE_LENGTH,
  openCard,
  openPrivateKey,
  requestObjectContext,
  sealCard,
  sealPrivateKey,
} from '../../../src/crypto/request-keys.ts';
import { aws, awsKeyring, COMMIT_SUITE, randomData } from '../helpers.ts';

// RSA-4096 generation takes a second or more: one key pair for the whole file.
const keys = await generateRequestKeys();
const inboxSecret = randomData(32);
const cardSecret = randomData(32);
const spkiOf = (bits: number, e = 65537) =>
  new Uint8Array(generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: e }).publicKey.export({ type: 'spki', format: 'der' }));
const sha256url = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');

describe('request key pair', () => {
  it('is RSA-OAEP-4096, e = 65537, SHA-256; the fingerprint is base64url(SHA-256(SPKI))', async () => {
    const a = keys.publicKey.algorithm as RsaHashedKeyAlgorithm;
    expect([a.name, a.modulusLength, a.hash.name, [...a.publicExponent]]).toEqual(['RSA-OAEP', 4096, 'SHA-256', [1, 0, 1]]);
    expect(keys.spki.byteLength).toBe(550);
    expect(keys.fingerprint).toBe(sha256url(keys.spki));
    expect(keys.fingerprint).toHaveLength(43);
    expect(await keyFingerprint(keys.spki)).toBe(keys.fingerprint);
    expect(keys.privateKey.usages).toEqual(['decrypt']);
  });

  it('imports the public key the link names', async () => {
    const key = await importRequestPublicKey(keys.spki, keys.fingerprint);
    const message = await encryptBytes(rsaKeyring({ publicKey: key }), randomData(100), { context: {} });
    await expect(decryptBytes(rsaKeyring({ privateKey: keys.privateKey }), message, { context: {} })).resolves.toHaveLength(100);
  });

  it('refuses another key, a tampered key or fingerprint, and keys that are not request keys: KeyMismatch', async () => {
    const other = spkiOf(4096);
    await expect(importRequestPublicKey(other, keys.fingerprint)).rejects.toBeInstanceOf(KeyMismatchError);
    const flipped = Uint8Array.from(keys.spki);
    flipped[300] ^= 1;
    await expect(importRequestPublicKey(flipped, keys.fingerprint)).rejects.toBeInstanceOf(KeyMismatchError);
    await expect(importRequestPublicKey(keys.spki, sha256url(other))).rejects.toBeInstanceOf(KeyMismatchError);
    await expect(importRequestPublicKey(keys.spki, `${keys.fingerprint.slice(0, 42)}`)).rejects.toBeInstanceOf(KeyMismatchError);
    await expect(importRequestPublicKey(keys.spki, '')).rejects.toBeInstanceOf(KeyMismatchError);
    // Fingerprints that match, keys that do not qualify:
    for (const spki of [
      spkiOf(2048),
      spkiOf(4096, 3),
      new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })),
      randomData(550),
    ]) {
      await expect(importRequestPublicKey(spki, sha256url(spki))).rejects.toBeInstanceOf(KeyMismatchError);
    }
  });
});

describe('sealed private key', () => {
  const sealed = sealPrivateKey(keys.privateKey, inboxSecret, keys.fingerprint);
  const context = { 'cipherdrop:object': 'inbox-key', 'cipherdrop:fingerprint': keys.fingerprint };

  it("is an ESDK message client-node's RawAesKeyringNode (cipherdrop/inbox-v1) opens: the PKCS#8 of the key pair", async () => {
    const { plaintext, messageHeader } = await aws.decrypt(awsKeyring(inboxSecret, INBOX_KEY_NAME), await sealed);
    expect(messageHeader.encryptionContext).toEqual(context);
    const privateKey = createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' });
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(sha256url(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }))).toBe(keys.fingerprint);
  });

  it('opens non-extractable, decrypt-only, and opens what was sent to the public key', async () => {
    const privateKey = await openPrivateKey(await sealed, inboxSecret, keys.fingerprint);
    expect(privateKey.extractable).toBe(false);
    expect(privateKey.usages).toEqual(['decrypt']);
    const plain = randomData(5000);
    const message = await encryptBytes(rsaKeyring({ publicKey: keys.publicKey }), plain, { context: {} });
    expect(Buffer.compare(await decryptBytes(rsaKeyring({ privateKey }), message, { context: {} }), plain)).toBe(0);
  });

  it('opens what client-node sealed with the inbox secret', async () => {
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    const { result } = await aws.encrypt(awsKeyring(inboxSecret, INBOX_KEY_NAME), pkcs8, { encryptionContext: context, suiteId: COMMIT_SUITE });
    await expect(openPrivateKey(result, inboxSecret, keys.fingerprint)).resolves.toBeDefined();
  });

  it('refuses a wrong inbox secret (WrongKey), another fingerprint (ContextMismatch), the card in its place (ContextMismatch: another role), junk (Corrupted)', async () => {
    await expect(openPrivateKey(await sealed, randomData(32), keys.fingerprint)).rejects.toBeInstanceOf(WrongKeyError);
    await expect(openPrivateKey(await sealed, inboxSecret, sha256url(randomData(5)))).rejects.toBeInstanceOf(ContextMismatchError);
    const card = await sealCard({ title: 't', note: '' }, inboxSecret, keys.fingerprint);
    await expect(openPrivateKey(card, inboxSecret, keys.fingerprint)).rejects.toBeInstanceOf(ContextMismatchError);
    const { result } = await aws.encrypt(awsKeyring(inboxSecret, INBOX_KEY_NAME), randomData(100), { encryptionContext: context, suiteId: COMMIT_SUITE });
    await expect(openPrivateKey(result, inboxSecret, keys.fingerprint)).rejects.toBeInstanceOf(CorruptedError);
    await expect(openPrivateKey(randomData(9000), inboxSecret, keys.fingerprint)).rejects.toBeInstanceOf(CorruptedError);
  });
});

describe('request card', () => {
  const card = { title: 'Tax documents for 2025 — Ms. Müller', note: 'Payslips, the bank statement of December, and anything from the insurer.' };
  const context = { 'cipherdrop:object': 'request-card', 'cipherdrop:fingerprint': keys.fingerprint };

  it("round-trips, and is an ESDK message client-node's RawAesKeyringNode (cipherdrop/card-v1) opens", async () => {
    const sealed = await sealCard(card, cardSecret, keys.fingerprint);
    expect(await openCard(sealed, cardSecret, keys.fingerprint)).toEqual(card);
    const { plaintext, messageHeader } = await aws.decrypt(awsKeyring(cardSecret, CARD_KEY_NAME), sealed);
    expect(messageHeader.encryptionContext).toEqual(context);
    expect(JSON.parse(Buffer.from(plaintext).toString('utf8'))).toEqual({ v: 1, ...card });
  });

  it('takes a title of 1 … 200 characters and a note of up to 2 000, nothing else', async () => {
    const longest = { title: 'T'.repeat(MAX_CARD_TITLE_LENGTH), note: 'n'.repeat(MAX_CARD_NOTE_LENGTH) };
    expect(await openCard(await sealCard(longest, cardSecret, keys.fingerprint), cardSecret, keys.fingerprint)).toEqual(longest);
    for (const bad of [
      { title: '', note: '' },
      { title: '   ', note: '' },
      { ...longest, title: `${longest.title}T` },
      { ...longest, note: `${longest.note}n` },
    ]) {
      await expect(sealCard(bad, cardSecret, keys.fingerprint)).rejects.toBeInstanceOf(RangeError);
    }
  });

  it('refuses a wrong secret (WrongKey), another fingerprint (ContextMismatch), and malformed contents (Corrupted)', async () => {
    const sealed = await sealCard(card, cardSecret, keys.fingerprint);
    await expect(openCard(sealed, randomData(32), keys.fingerprint)).rejects.toBeInstanceOf(WrongKeyError);
    await expect(openCard(sealed, cardSecret, sha256url(randomData(5)))).rejects.toBeInstanceOf(ContextMismatchError);
    const forge = async (json: string) =>
      (await aws.encrypt(awsKeyring(cardSecret, CARD_KEY_NAME), Buffer.from(json), { encryptionContext: context, suiteId: COMMIT_SUITE })).result;
    for (const json of ['not json', 'null', '{"v":2,"title":"t","note":""}', '{"v":1,"title":"t"}', `{"v":1,"title":"${'T'.repeat(201)}","note":""}`]) {
      await expect(openCard(await forge(json), cardSecret, keys.fingerprint)).rejects.toBeInstanceOf(CorruptedError);
    }
  });
});

describe("a request file's meta object", () => {
  const id = 'FileFileFileFileFileFi';
  const requestId = 'RequestRequestRequestR';
  const meta: FileMeta = {
    name: 'scan.pdf',
    type: 'application/pdf',
    size: 10,
    lastModified: 1,
    dataMessageId: 'A'.repeat(43),
    message: 'Here are the scans ✓',
  };
  const writer = rsaKeyring({ publicKey: keys.publicKey });
  const reader = rsaKeyring({ privateKey: keys.privateKey });

  it('carries the sender message, bound to the request', async () => {
    expect(requestObjectContext(id, 'meta', requestId)).toEqual({ 'cipherdrop:id': id, 'cipherdrop:object': 'meta', 'cipherdrop:request': requestId });
    const sealed = await sealMeta(writer, id, meta, requestId);
    expect(await openMeta(reader, id, sealed, requestId)).toEqual(meta);
    await expect(openMeta(reader, id, sealed)).rejects.toBeInstanceOf(ContextMismatchError);
    await expect(openMeta(reader, id, sealed, 'OtherOtherOtherOtherOt')).rejects.toBeInstanceOf(ContextMismatchError);
  });

  it('has no message field when none was written, and refuses one over 2 000 characters', async () => {
    const { message: _, ...plain } = meta;
    expect(await openMeta(reader, id, await sealMeta(writer, id, plain, requestId), requestId)).toStrictEqual(plain);
    await expect(sealMeta(writer, id, { ...meta, message: 'm'.repeat(2001) }, requestId)).rejects.toBeInstanceOf(RangeError);
    const forged = await encryptBytes(writer, Buffer.from(JSON.stringify({ v: 1, ...meta, message: 'm'.repeat(2001) })), {
      context: requestObjectContext(id, 'meta', requestId),
    });
    await expect(openMeta(reader, id, forged, requestId)).rejects.toBeInstanceOf(CorruptedError);
    const notText = await encryptBytes(writer, Buffer.from(JSON.stringify({ v: 1, ...meta, message: 5 })), {
      context: requestObjectContext(id, 'meta', requestId),
    });
    await expect(openMeta(reader, id, notText, requestId)).rejects.toBeInstanceOf(CorruptedError);
  });
});
