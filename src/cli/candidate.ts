/**
 * Candidate inputs shared by `cmtd genesis add-candidate` and `cmtd tx
 * declare|update`: the consensus public key and the description.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkDescription, DESCRIPTION_FIELDS } from '../staking/ledger.js';
import { opt } from './flags.js';

/**
 * An ed25519 consensus public key (32 bytes) from: a CometBFT
 * priv_validator_key.json (or any JSON file with pub_key.value), base64,
 * or hex (with or without 0x).
 */
export function parseConsensusKey(raw: string, flag = '--pub-key'): Uint8Array {
  const text = raw.trim();
  if (existsSync(text)) {
    let json: { pub_key?: { type?: string; value?: string } };
    try {
      json = JSON.parse(readFileSync(text, 'utf8')) as typeof json;
    } catch (err) {
      throw new Error(`${flag}: cannot read ${text} as a CometBFT key file: ${(err as Error).message}`);
    }
    const key = json.pub_key;
    if (key === undefined || typeof key.value !== 'string') throw new Error(`${flag}: ${text} has no pub_key.value (expected a CometBFT priv_validator_key.json)`);
    if (key.type !== undefined && key.type !== 'tendermint/PubKeyEd25519') throw new Error(`${flag}: ${text} holds a ${key.type} key; consensus keys are ed25519`);
    return decodeKey(key.value, `${flag} (${text})`);
  }
  return decodeKey(text, flag);
}

function decodeKey(text: string, flag: string): Uint8Array {
  const hex = text.replace(/^0x/i, '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return new Uint8Array(Buffer.from(hex, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new Error(
    `${flag} must be an ed25519 public key: a priv_validator_key.json file, 44 characters of base64 or 64 hex digits; got '${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`,
  );
}

/** Flag of each description field: data_centre → --data-centre. */
function fieldFlag(field: string): string {
  return field.replace(/_/g, '-');
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Adds --description JSON and one flag per field (--name, --website, …). */
export function addDescriptionOptions(command: Command): Command {
  command.addOption(opt('--description <json>', 'description as a JSON object (the field flags below override its fields)'));
  for (const field of DESCRIPTION_FIELDS) command.addOption(opt(`--${fieldFlag(field)} <text>`, `description: ${field.replace(/_/g, ' ')}`));
  return command;
}

/**
 * The description JSON text from --description and the field flags over
 * `base` (the current description, for updates); undefined when none was
 * given. Checked with the staking ledger's own rule.
 */
export function descriptionFrom(flags: Record<string, unknown>, base?: string): string | undefined {
  let object: Record<string, unknown> | undefined;
  const given = typeof flags.description === 'string' ? flags.description : undefined;
  if (given !== undefined) {
    try {
      object = JSON.parse(given) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--description must be a JSON object: ${(err as Error).message}`);
    }
    if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new Error('--description must be a JSON object');
  }
  for (const field of DESCRIPTION_FIELDS) {
    const value = flags[camel(fieldFlag(field))];
    if (typeof value !== 'string') continue;
    if (object === undefined) object = base === undefined || base === '' ? {} : (JSON.parse(base) as Record<string, unknown>);
    object[field] = value;
  }
  if (object === undefined) return undefined;
  const text = JSON.stringify(object);
  try {
    checkDescription(text);
  } catch (err) {
    throw new Error(`description: ${(err as Error).message}`);
  }
  return text;
}
