/**
 * Where an upload goes, and what that asks of it: a share link's file (the files' own prefix, the
 * caller's quotas), a file sent to a file request (its folder; room reserved in the request, its
 * creator's quota charged too; docs/REQUESTS.md) or a set's blob (the set's folder; a slot in the
 * set, its creator's quota charged too; docs/SETS.md). routes/uploads.ts asks this module and has
 * no branches of its own for them.
 */
import type { FastifyRequest } from 'fastify';
import type { CreateUploadRequest } from '../src/contract/schemas.ts';
import type { UploadScope } from './access.ts';
import type { AccessSettings } from './config.ts';
import { ApiError } from './errors.ts';
import type { RequestStore } from './request-store.ts';
import type { Reservations } from './requests.ts';
import type { SetStore } from './set-store.ts';
import { openSet, type Sets } from './sets.ts';
import type { Storage } from './storage.ts';
import { readSetTicket } from './tickets.ts';

export interface ScopeOptions {
  storage: Storage;
  access: AccessSettings;
  /** counts a new upload against the caller's quotas (and `alsoCharge`'s); throws when over */
  chargeUpload(request: FastifyRequest, amounts: { bytes: number; files: number }, alsoCharge?: string | null): Promise<void>;
  /** file requests, where the store has them */
  requests?: { store: RequestStore; reservations: Reservations };
  /** sets, where the store has them */
  sets?: { store: SetStore; sets: Sets };
}

/** What admitting a new upload fixed: its objects' expiry, and its ticket's end where earlier than usual. */
export interface Admission {
  expiresAt: number | null;
  until?: number;
}

export interface Scopes {
  /** The upload's scope as the create body names it, once the body's fields agree (else 400). */
  scopeOf(body: CreateUploadRequest): UploadScope;
  /** Where the upload's objects are. */
  filesOf(scope: UploadScope): Storage;
  /** At create: takes the room (request) or the slot (set), then charges the quotas; gives the room back when refused. */
  admit(request: FastifyRequest, body: CreateUploadRequest, scope: UploadScope, id: string): Promise<Admission>;
  /** At complete: the request or set is still there and still wants this upload (404, 409, 410 otherwise). */
  stillWanted(scope: UploadScope, id: string, expiresAt: number | null): Promise<void>;
  /** Gives back the room or slot of an upload that will not complete. */
  release(scope: UploadScope, id: string): Promise<void>;
}

/** The fields a ticket carries of a scope: nothing for a share link's file. */
export const scopeClaims = ({ requestId, setId }: UploadScope): UploadScope => ({
  ...(requestId === undefined ? {} : { requestId }),
  ...(setId === undefined ? {} : { setId }),
});

export function uploadScopes(options: ScopeOptions): Scopes {
  const { storage, access } = options;
  const requests = () => {
    if (!options.requests) throw new ApiError('RequestNotFound', 'This server has no file requests');
    return options.requests;
  };
  const setsOf = () => {
    if (!options.sets) throw new ApiError('SetNotFound', 'This server has no sets');
    return options.sets;
  };

  return {
    scopeOf({ requestId, setId, setTicket, expiresInSeconds, metaSize }) {
      if (requestId !== undefined && expiresInSeconds !== undefined)
        throw new ApiError('BadRequest', 'A file sent to a request expires with it: leave out expiresInSeconds');
      if ((setId === undefined) !== (setTicket === undefined)) throw new ApiError('BadRequest', "A set's blob needs both setId and setTicket");
      if (setId !== undefined && (requestId !== undefined || expiresInSeconds !== undefined))
        throw new ApiError('BadRequest', "A set's blob expires with its set and goes nowhere else: leave out requestId and expiresInSeconds");
      if (setId !== undefined && metaSize !== 0) throw new ApiError('BadRequest', "A set's blob has no meta object: metaSize must be 0");
      if (setId === undefined && metaSize === 0) throw new ApiError('BadRequest', 'A file has a meta object: metaSize must be at least 1');
      return scopeClaims({ requestId, setId });
    },

    filesOf({ requestId, setId }) {
      if (requestId !== undefined) return requests().store.files(requestId);
      if (setId !== undefined) return setsOf().store.blobs(setId);
      return storage;
    },

    async admit(request, body, { requestId, setId }, id) {
      const { size, metaSize, expiresInSeconds } = body;
      const amount = { bytes: size + metaSize, files: 1 };
      if (requestId !== undefined) {
        const { store, reservations } = requests();
        // Room first, then quota: a refused upload costs no quota; a quota refusal gives its room back.
        const record = await reservations.reserve(requestId, id, size);
        await options.chargeUpload(request, amount, record.quotaKey).catch(async (error: unknown) => {
          await store.release(requestId, id);
          throw error;
        });
        return { expiresAt: record.expiresAt };
      }
      if (setId !== undefined) {
        const { store, sets } = setsOf();
        const ticket = readSetTicket(access.ownerSecret, body.setTicket ?? '', setId);
        const record = await sets.reserve(setId, id);
        // The set counted as a file when it was made; its blobs count their bytes.
        await options.chargeUpload(request, { bytes: size, files: 0 }, record.quotaKey).catch(async (error: unknown) => {
          await store.removeSlot(setId, id);
          throw error;
        });
        return { expiresAt: record.expiresAt, until: ticket.until };
      }
      await options.chargeUpload(request, amount);
      return { expiresAt: expiresInSeconds === undefined ? null : Date.now() + expiresInSeconds * 1000 };
    },

    async stillWanted({ requestId, setId }, id, expiresAt) {
      if (requestId !== undefined) {
        const store = options.requests?.store;
        if (!store || !(await store.read(requestId))) throw new ApiError('RequestNotFound', 'The file request this upload was for is gone');
        if (expiresAt !== null && expiresAt <= Date.now()) throw new ApiError('RequestExpired', 'The file request this upload was for has expired');
        if ((await store.reservation(requestId, id)) === null) throw new ApiError('UploadNotFound', "This upload was removed by the request's owner");
      }
      if (setId !== undefined) {
        const { store } = setsOf();
        await openSet(store, setId);
        if (!(await store.hasSlot(setId, id))) throw new ApiError('UploadNotFound', 'This upload was removed from its set');
      }
    },

    async release({ requestId, setId }, id) {
      if (requestId !== undefined) await options.requests?.store.release(requestId, id);
      if (setId !== undefined) await options.sets?.store.removeSlot(setId, id);
    },
  };
}
