/** Passwords come from CIPHERDROP_PASSWORD (for scripts) or a hidden prompt on the terminal. */
import { LinkError } from '../errors.ts';
import { UsageError } from './exit-codes.ts';

function ask(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new LinkError('PasswordRequired', 'A password is needed: set CIPHERDROP_PASSWORD or run in a terminal'));
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('Cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

export async function readPassword(confirm: boolean): Promise<string> {
  const fromEnv = process.env.CIPHERDROP_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const first = await ask('Password: ');
  if (!first) throw new UsageError('The password may not be empty');
  if (confirm && (await ask('Repeat the password: ')) !== first) throw new UsageError('The passwords do not match');
  return first;
}
