/**
 * Proof of possession of a consensus key (SPEC 6): `declareCandidacy`
 * carries an ed25519 signature by the consensus key over
 * `cmtd-candidacy:<CometBFT chain id>:<candidate address, 0x-lowercase>`.
 * Without it anyone could declare a key nobody holds (a validator that never
 * signs can halt a small network) or someone else's key.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

/** DER prefixes that wrap a raw ed25519 key as SPKI (public) and PKCS#8 (private seed). */
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Length of an ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;

/** The bytes the consensus key signs. */
export function candidacyMessage(chainId: string, candidate: string): Uint8Array {
  return new TextEncoder().encode(`cmtd-candidacy:${chainId}:${candidate.toLowerCase()}`);
}

/** True when `signature` is `pubKey`'s ed25519 signature of the candidacy message. Never throws. */
export function verifyCandidacySignature(pubKey: Uint8Array, signature: Uint8Array, chainId: string, candidate: string): boolean {
  if (pubKey.length !== 32 || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, pubKey]), format: 'der', type: 'spki' });
    return verify(null, candidacyMessage(chainId, candidate), key, signature);
  } catch {
    return false; // not a point on the curve
  }
}

/** The ed25519 public key of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const key = createPublicKey(privateKeyOf(seed));
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_ED25519.length));
}

/** Signs the candidacy message with the consensus key's 32-byte seed. */
export function signCandidacy(seed: Uint8Array, chainId: string, candidate: string): Uint8Array {
  return new Uint8Array(sign(null, candidacyMessage(chainId, candidate), privateKeyOf(seed)));
}

function privateKeyOf(seed: Uint8Array): ReturnType<typeof createPrivateKey> {
  if (seed.length !== 32) throw new Error(`an ed25519 seed has 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * The seed and public key of a CometBFT `priv_validator_key.json`
 * (`priv_key.value` is base64 of seed ‖ public key). Checks they belong together.
 */
export function parsePrivValidatorKey(json: unknown, where: string): { seed: Uint8Array; pubKey: Uint8Array } {
  const k = json as { priv_key?: { type?: string; value?: unknown } };
  const priv = k?.priv_key;
  if (priv === undefined || typeof priv.value !== 'string') throw new Error(`${where} has no priv_key.value (expected a CometBFT priv_validator_key.json)`);
  if (priv.type !== undefined && priv.type !== 'tendermint/PrivKeyEd25519') throw new Error(`${where} holds a ${priv.type} key; consensus keys are ed25519`);
  const raw = Buffer.from(priv.value, 'base64');
  if (raw.length !== 64) throw new Error(`${where}: an ed25519 private key has 64 bytes (seed and public key), got ${raw.length}`);
  const seed = new Uint8Array(raw.subarray(0, 32));
  const pubKey = ed25519PublicKey(seed);
  if (!Buffer.from(pubKey).equals(raw.subarray(32))) throw new Error(`${where}: the private key does not match its public key`);
  return { seed, pubKey };
}
