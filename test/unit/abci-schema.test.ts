/**
 * Checks our proto/ schema against the schema compiled into real CometBFT
 * binaries: Go protobuf code registers each .proto file's descriptor (a
 * gzipped FileDescriptorProto) in the binary, so we can read CometBFT's own
 * field numbers from it. Skipped when no binary is installed
 * (scripts/install-cometbft.sh puts them in ~/.cache/cmtd/bin).
 *
 * Our side is read from proto/ by protobufjs, independently of the code
 * generated from it (src/abci/gen), which abci-generated.test.ts keeps equal
 * to what proto/ generates.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { ABCI_PROTO_FILE, PROTO_DIR } from '../support/abci-wire.js';

const require = createRequire(import.meta.url);

interface FieldDesc {
  name: string;
  number: number;
  type: number;
  typeName?: string;
  label: number;
}
interface MessageDesc {
  name: string;
  field?: FieldDesc[];
  nestedType?: MessageDesc[];
  enumType?: EnumDesc[];
}
interface EnumDesc {
  name: string;
  value?: { name: string; number: number }[];
}
interface FileDesc {
  name?: string;
  package?: string;
  messageType?: MessageDesc[];
  enumType?: EnumDesc[];
  service?: { name: string; method?: { name: string; inputType: string; outputType: string }[] }[];
}

const FILES = [
  'tendermint/abci/types.proto',
  'tendermint/types/params.proto',
  'tendermint/types/types.proto',
  'tendermint/types/validator.proto',
  'tendermint/crypto/keys.proto',
  'tendermint/crypto/proof.proto',
  'tendermint/version/types.proto',
];

function findBinary(prefix: string): string | undefined {
  const dir = join(process.env.CMTD_CACHE_DIR ?? join(homedir(), '.cache', 'cmtd'), 'bin');
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort()
    .pop();
  return name === undefined ? undefined : join(dir, name);
}

function embeddedDescriptors(binaryPath: string): Map<string, FileDesc> {
  const root = protobuf.Root.fromJSON(require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace);
  const FileDescriptorProto = root.lookupType('google.protobuf.FileDescriptorProto');
  const bin = readFileSync(binaryPath);
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  const out = new Map<string, FileDesc>();
  for (let i = bin.indexOf(magic); i >= 0; i = bin.indexOf(magic, i + 3)) {
    let raw: Buffer;
    try {
      raw = gunzipSync(bin.subarray(i, i + 262_144), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    try {
      const fd = FileDescriptorProto.toObject(FileDescriptorProto.decode(raw), { defaults: false }) as FileDesc;
      if (fd.name !== undefined && FILES.includes(fd.name)) out.set(fd.name, fd);
    } catch {
      // not a descriptor
    }
  }
  return out;
}

const TYPE_NAMES: Record<number, string> = { 3: 'int64', 4: 'uint64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes', 13: 'uint32' };

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Compares one binary's descriptors with our schema; returns fields we define that it lacks. */
/** Our proto/ tree, loaded by protobufjs. */
function ourSchema(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => join(PROTO_DIR, target);
  root.loadSync(ABCI_PROTO_FILE, { keepCase: false });
  root.resolveAll();
  return root;
}

function compare(files: Map<string, FileDesc>, allowedMissingInOurs: string[]): string[] {
  const ours = ourSchema();
  const extra: string[] = [];
  const problems: string[] = [];
  const checkMessage = (m: MessageDesc, scope: string): void => {
    const full = `${scope}.${m.name}`;
    const type = ours.lookup(full);
    if (!(type instanceof protobuf.Type)) {
      problems.push(`missing message ${full}`);
      return;
    }
    for (const f of m.field ?? []) {
      const of = type.fieldsById[f.number];
      if (of === undefined) {
        if (!allowedMissingInOurs.includes(`${full}.${f.name}`)) problems.push(`missing field ${full}.${f.name} = ${f.number}`);
        continue;
      }
      const theirs = f.typeName ? f.typeName.replace(/^\./, '') : TYPE_NAMES[f.type];
      const mine = of.resolvedType ? of.resolvedType.fullName.replace(/^\./, '') : of.type;
      if (of.name !== camel(f.name) || theirs !== mine || (f.label === 3) !== of.repeated) {
        problems.push(`field ${full}.${f.name} = ${f.number}: theirs ${theirs}${f.label === 3 ? '[]' : ''}, ours ${of.name} ${mine}${of.repeated ? '[]' : ''}`);
      }
    }
    for (const of of type.fieldsArray) {
      if (!(m.field ?? []).some((f) => f.number === of.id)) extra.push(`${full}.${of.name}`);
    }
    for (const n of m.nestedType ?? []) checkMessage(n, full);
    for (const e of m.enumType ?? []) checkEnum(e, full);
  };
  const checkEnum = (e: EnumDesc, scope: string): void => {
    const full = `${scope}.${e.name}`;
    const en = ours.lookup(full);
    if (!(en instanceof protobuf.Enum)) {
      problems.push(`missing enum ${full}`);
      return;
    }
    for (const v of e.value ?? []) {
      if (en.values[v.name] !== v.number) problems.push(`enum ${full}.${v.name} = ${v.number}, ours ${String(en.values[v.name])}`);
    }
  };
  for (const name of FILES) {
    const fd = files.get(name);
    assert.ok(fd, `descriptor of ${name} not found in the binary`);
    const pkg = fd.package ?? '';
    for (const m of fd.messageType ?? []) {
      // messages we do not use (blocks, votes, evidence...) need not be in our schema
      if (ours.lookup(`${pkg}.${m.name}`) === null) continue;
      checkMessage(m, pkg);
    }
    for (const e of fd.enumType ?? []) if (ours.lookup(`${pkg}.${e.name}`) !== null) checkEnum(e, pkg);
    for (const s of fd.service ?? []) {
      const svc = ours.lookup(`${pkg}.${s.name}`);
      if (!(svc instanceof protobuf.Service)) {
        problems.push(`missing service ${pkg}.${s.name}`);
        continue;
      }
      for (const m of s.method ?? []) {
        const om = svc.methods[m.name];
        if (om === undefined) problems.push(`missing rpc ${s.name}.${m.name}`);
        else if (`.${pkg}.${om.requestType}` !== m.inputType || `.${pkg}.${om.responseType}` !== m.outputType) {
          problems.push(`rpc ${s.name}.${m.name} types differ`);
        }
      }
      for (const name of Object.keys(svc.methods)) {
        if (!(s.method ?? []).some((m) => m.name === name)) problems.push(`extra rpc ${s.name}.${name}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  return extra.sort();
}

describe('proto schema matches CometBFT binaries', () => {
  const v038 = findBinary('cometbft-v0.38');
  const v037 = findBinary('cometbft-v0.37');

  it('v0.38: every field number, type and rpc', { skip: v038 === undefined && 'no cometbft v0.38 binary' }, () => {
    const extra = compare(embeddedDescriptors(v038 as string), []);
    // only the v0.37 additions of our union schema are unknown to v0.38
    assert.deepEqual(extra, [
      'tendermint.abci.ExtendedVoteInfo.signedLastBlock',
      'tendermint.abci.Request.beginBlock',
      'tendermint.abci.Request.deliverTx',
      'tendermint.abci.Request.endBlock',
      'tendermint.abci.Response.beginBlock',
      'tendermint.abci.Response.deliverTx',
      'tendermint.abci.Response.endBlock',
      'tendermint.abci.ResponseCommit.data',
      'tendermint.abci.VoteInfo.signedLastBlock',
    ]);
  });

  it('v0.37: every field number, type and rpc', { skip: v037 === undefined && 'no cometbft v0.37 binary' }, () => {
    const extra = compare(embeddedDescriptors(v037 as string), [
      // deprecated priority-mempool fields, never needed by an application
      'tendermint.abci.ResponseCheckTx.sender',
      'tendermint.abci.ResponseCheckTx.priority',
      'tendermint.abci.ResponseCheckTx.mempool_error',
    ]);
    assert.deepEqual(extra, [
      'tendermint.abci.ExtendedVoteInfo.blockIdFlag',
      'tendermint.abci.ExtendedVoteInfo.extensionSignature',
      'tendermint.abci.Request.extendVote',
      'tendermint.abci.Request.finalizeBlock',
      'tendermint.abci.Request.verifyVoteExtension',
      'tendermint.abci.Response.extendVote',
      'tendermint.abci.Response.finalizeBlock',
      'tendermint.abci.Response.verifyVoteExtension',
      'tendermint.abci.VoteInfo.blockIdFlag',
      'tendermint.types.ConsensusParams.abci',
    ]);
  });
});
