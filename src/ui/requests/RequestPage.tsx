/** `/request`: ask someone for files. Makes the key pair in this browser and shows the two links. */
import { type FormEvent, useState } from 'react';
import { MAX_REQUEST_FILES } from '../../contract/limits.ts';
import { type CreatedRequest, createFileRequest } from '../../requests/create.ts';
import { EXPIRY_CHOICES } from '../../upload/page-controller.ts';
import { api } from '../api.ts';
import { describeError } from '../messages.ts';
import { CopyField } from './CopyField.tsx';

const CHOICES = EXPIRY_CHOICES.filter((c) => c.seconds !== undefined);
const MiB = 1024 * 1024;

function Created({ created }: { created: CreatedRequest }) {
  return (
    <section aria-label="Your file request">
      <h2>Your request is ready</h2>
      <CopyField label="Request link" value={`${location.origin}${created.requestLink}`} />
      <p className="hint">Give this link to the people who should send you files. With it they can send, but not read anything.</p>
      <CopyField label="Inbox link" value={`${location.origin}${created.inboxLink}`} />
      <p className="note">
        Keep the inbox link to yourself: it holds the key that opens every file sent to you, and it is shown only now. Neither the server nor anyone else can
        recover it. Open it on any device to see what has arrived.
      </p>
      <p>
        <a href={created.inboxLink}>Open the inbox</a>
      </p>
    </section>
  );
}

export function RequestPage() {
  const [title, setTitle] = useState('');
  const [note, setNote] = useState('');
  const [expiry, setExpiry] = useState(CHOICES.find((c) => c.value === 'week')?.seconds ?? 7 * 86400);
  const [maxFiles, setMaxFiles] = useState('');
  const [maxMiB, setMaxMiB] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedRequest | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const files = Number.parseInt(maxFiles, 10);
      const mib = Number.parseFloat(maxMiB);
      setCreated(
        await createFileRequest(api, {
          title: title.trim(),
          note: note.trim(),
          expiresInSeconds: expiry,
          maxFiles: Number.isFinite(files) ? files : undefined,
          maxBytes: Number.isFinite(mib) ? Math.round(mib * MiB) : undefined,
        }),
      );
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <h1>Cipherdrop</h1>
      <p className="lede">
        Ask someone to send you files that only you can open. Your browser makes a key pair; the files are encrypted in the sender's browser to your public key,
        and the server keeps only ciphertext. The title and note are encrypted too: only people with the request link can read them.
      </p>
      {created ? (
        <Created created={created} />
      ) : (
        <form className="options" onSubmit={submit} aria-label="Request files">
          <label>
            Title <input required maxLength={200} value={title} onChange={(e) => setTitle(e.currentTarget.value)} placeholder="Documents for the application" />
          </label>
          <label>
            Note (optional) <textarea maxLength={2000} rows={3} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
          </label>
          <label>
            Open for{' '}
            <select value={expiry} onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
              {CHOICES.map(({ value, label, seconds }) => (
                <option key={value} value={seconds}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            At most this many files (optional){' '}
            <input type="number" min={1} max={MAX_REQUEST_FILES} inputMode="numeric" value={maxFiles} onChange={(e) => setMaxFiles(e.currentTarget.value)} />
          </label>
          <label>
            At most this many MiB in all (optional){' '}
            <input type="number" min={1} inputMode="numeric" value={maxMiB} onChange={(e) => setMaxMiB(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy || title.trim() === ''}>
            {busy ? 'Making the keys…' : 'Create the request'}
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p>
        <a href="/">Send files instead</a>
      </p>
    </main>
  );
}
