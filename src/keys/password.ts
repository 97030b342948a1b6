/**
 * Where a key's password comes from, first that applies:
 *  1. a file (`--password-file FILE`): its first line;
 *  2. the environment variable CMTD_KEY_PASSWORD;
 *  3. an interactive prompt without echo, only when stdin is a terminal.
 * Anything else is an error that says which of these to use.
 */
import { readFileSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';

export const PASSWORD_ENV = 'CMTD_KEY_PASSWORD';

export interface PasswordRequest {
  /** --password-file, if given. */
  file?: string | undefined;
  /** What the password opens, for the prompt: e.g. "key 'alice'". */
  purpose: string;
  /** A new password: the prompt asks twice and an empty one is refused. */
  create?: boolean;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default process.stdin / process.stderr. */
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
}

/** The password in a file: its first line, without the line ending. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the password file ${path}: ${(err as Error).message}`);
  }
  return text.split(/\r?\n/, 1)[0] ?? '';
}

export async function getPassword(req: PasswordRequest): Promise<string> {
  const env = req.env ?? process.env;
  let password: string | undefined;
  if (req.file !== undefined && req.file !== '') password = readPasswordFile(req.file);
  else if (env[PASSWORD_ENV] !== undefined) password = env[PASSWORD_ENV];
  if (password !== undefined) {
    if (req.create === true && password === '') throw new Error(`the password for ${req.purpose} must not be empty`);
    return password;
  }
  const input = req.input ?? process.stdin;
  if (!input.isTTY) {
    throw new Error(`${req.purpose} needs a password: pass --password-file FILE, set ${PASSWORD_ENV}, or run in a terminal to be asked`);
  }
  const output = req.output ?? process.stderr;
  const first = await promptHidden(`Password for ${req.purpose}: `, input, output);
  if (req.create !== true) return first;
  if (first === '') throw new Error('the password must not be empty');
  const again = await promptHidden('Repeat the password: ', input, output);
  if (again !== first) throw new Error('the two passwords differ');
  return first;
}

/** Reads one line from a terminal without echoing it (raw mode, key by key). */
export function promptHidden(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  if (!input.isTTY) return Promise.reject(new Error('cannot prompt: stdin is not a terminal'));
  output.write(prompt);
  emitKeypressEvents(input);
  const wasRaw = input.isRaw;
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (): void => {
      input.off('keypress', onKey);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
    };
    const onKey = (text: string | undefined, key: { name?: string; ctrl?: boolean; meta?: boolean } | undefined): void => {
      const name = key?.name;
      if (key?.ctrl === true && (name === 'c' || name === 'd')) {
        done();
        reject(new Error('cancelled'));
      } else if (name === 'return' || name === 'enter') {
        done();
        resolve(value);
      } else if (name === 'backspace') {
        value = value.slice(0, -1);
      } else if (text !== undefined && key?.ctrl !== true && key?.meta !== true) {
        value += text;
      }
    };
    input.on('keypress', onKey);
  });
}
