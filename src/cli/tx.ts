/**
 * `cmtd tx …`: signed Ethereum transactions from a stored key, sent through
 * a node's CometBFT RPC.
 *
 * For every command: the nonce is the account's (`/account/<addr>`), the
 * chain id and the default gas price (`min_gas_price`) come from `/params`.
 * Before anything is signed the node runs the transaction (eth_estimateGas
 * through its Ethereum JSON-RPC, --eth-rpc): a call the chain would refuse,
 * or one the balance cannot pay, is refused with the chain's reason in CMT
 * and exit status 2, so no fee is spent on it (--no-simulate skips this).
 * The simulation's gas is the gas limit. --dry-run stops after it and prints
 * the gas, fee and effect; --generate-only prints the unsigned transaction.
 *
 * Otherwise the transaction is a legacy EIP-155 one, signed with the key
 * from `<home>/keys`, sent with `broadcast_tx_sync`, and followed into a
 * block (`tx` by its SHA-256 hash). The outcome printed is the node's: code,
 * log (the revert reason), gas used, height, and the receipt's logs decoded
 * with the staking and governance ABIs. A transaction that fails in its
 * block exits with status 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { type Interface, Transaction, hexlify, type Wallet } from 'ethers';
import { GOVERNANCE_GAS, governanceInterface } from '../gov/index.js';
import { getPassword } from '../keys/index.js';
import { CometRpcError, cometTxHash, type TxResultJson } from '../comet/rpc.js';
import { DEFAULT_ETH_RPC_ADDRESS } from '../rpc/server.js';
import type { QueryJson } from '../app/query-routes.js';
import type { Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { parsePrivValidatorKey, signCandidacy, STAKING_GAS, STAKING_INTERFACE } from '../staking/index.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import { codeName, TxCode } from '../tx/errors.js';
import { intrinsicGas } from '../tx/gas.js';
import { decodeReceipt } from '../tx/receipt.js';
import { parseAmount, parseGasPrice, parseWhole } from './amount.js';
import { addDescriptionOptions, descriptionFrom, parseConsensusKey } from './candidate.js';
import { cometHomeOf, keyStore, NodeClient, resolveAddress } from './client.js';
import { opt, required } from './flags.js';
import { CliError, EXIT_REFUSED } from './errors.js';
import { formatCmt, parseRatioBp, printJson } from './format.js';
import { formatTimeFromNow, humanizeChainText } from './human.js';
import { EthRpcClient } from './simulation.js';
import { homeOption, nodeOption, outputOption } from './options.js';

const GWEI = 10n ** 9n;

export interface TxFlags {
  home: string;
  node: string;
  output: string;
  from: string;
  passwordFile?: string;
  gasPrice?: string;
  gasLimit?: string;
  nonce?: string;
  wait: boolean;
  waitTimeout: string;
  /** Run the transaction through the node first (--no-simulate: false). */
  simulate: boolean;
  dryRun?: boolean;
  generateOnly?: boolean;
  /** The node's Ethereum JSON-RPC, where the simulation runs. */
  ethRpc: string;
}

/** The chain params a transaction needs, as `/params` answers them. */
interface ParamsJson {
  chain_id: string;
  min_gas_price: string;
  free_tx_gas_limit: string;
  self_stake_ratio_bp: number;
  [name: string]: string | number | boolean;
}

/** What a command asks to send; gas and nonce are worked out around it. */
export interface Call {
  to: string;
  data: string;
  value: bigint;
  /** The system contract's function, for its fixed gas cost and for decoding the result. */
  fn?: { target: 'staking' | 'governance'; name: string };
  /** One line for people: what this transaction does. */
  summary: string;
}

export interface TxContext {
  flags: TxFlags;
  client: NodeClient;
  params: ParamsJson;
  sender: Address;
}

const INTERFACES: Record<'staking' | 'governance', Interface> = { staking: STAKING_INTERFACE, governance: governanceInterface };
const TARGETS: Record<'staking' | 'governance', string> = { staking: STAKING_ADDRESS, governance: GOVERNANCE_ADDRESS };

export function systemCall(target: 'staking' | 'governance', name: string, args: unknown[], value: bigint, summary: string): Call {
  return { to: TARGETS[target], data: INTERFACES[target].encodeFunctionData(name, args), value, fn: { target, name }, summary };
}

/** The system function a transaction to `to` calls, for decoding its result; undefined for other addresses. */
export function systemFunction(to: string | null, data: string): Call['fn'] {
  const target = (Object.keys(TARGETS) as Array<'staking' | 'governance'>).find((t) => TARGETS[t] === to?.toLowerCase());
  if (target === undefined) return undefined;
  const parsed = INTERFACES[target].parseTransaction({ data });
  return parsed === null ? undefined : { target, name: parsed.name };
}

/** Gas of a call: intrinsic gas plus the system function's fixed cost (SPEC 6: each has one). */
export function gasLimitOf(call: Call): bigint {
  const data = new Uint8Array(Buffer.from(call.data.replace(/^0x/, ''), 'hex'));
  const intrinsic = intrinsicGas({ to: call.to as `0x${string}`, data, accessList: [] });
  if (call.fn === undefined) return intrinsic;
  const table = call.fn.target === 'staking' ? STAKING_GAS : GOVERNANCE_GAS;
  const fixed = table[call.fn.name];
  if (fixed === undefined) throw new Error(`no documented gas cost for ${call.fn.name}: pass --gas-limit`);
  return intrinsic + fixed;
}

export interface DecodedEvent {
  address: string;
  /** Event name, when the log is one of the system contracts' events. */
  event?: string;
  args?: Record<string, string | boolean>;
  topics?: string[];
  data?: string;
}

function plain(value: unknown): string | boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  const text = String(value);
  // Addresses in lower case, as every other cmtd output writes them.
  return /^0x[0-9a-fA-F]{40}$/.test(text) ? text.toLowerCase() : text;
}

/** A receipt log, decoded with the staking or governance ABI when it is one of theirs. */
export function decodeLog(log: EvmLog): DecodedEvent {
  const topics = log.topics.map((t) => hexlify(t));
  const data = hexlify(log.data);
  const iface = log.address === STAKING_ADDRESS ? STAKING_INTERFACE : log.address === GOVERNANCE_ADDRESS ? governanceInterface : undefined;
  const parsed = iface?.parseLog({ topics, data }) ?? null;
  if (parsed === null) return { address: log.address, topics, data };
  const args: Record<string, string | boolean> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name || String(i)] = plain(parsed.args[i]);
  });
  return { address: log.address, event: parsed.name, args };
}

function decodeResult(fn: Call['fn'], returnData: Uint8Array): Record<string, string | boolean> | undefined {
  if (fn === undefined || returnData.length === 0) return undefined;
  try {
    const iface = INTERFACES[fn.target];
    const fragment = iface.getFunction(fn.name)!;
    if (fragment.outputs.length === 0) return undefined;
    const values = iface.decodeFunctionResult(fragment, returnData);
    const out: Record<string, string | boolean> = {};
    fragment.outputs.forEach((o, i) => {
      out[o.name || String(i)] = plain(values[i]);
    });
    return out;
  } catch {
    return undefined;
  }
}

/** Wei-valued event fields (amounts, stakes, voting powers), shown in CMT for people. */
const AMOUNT_FIELD = /amount|stake|power/i;
/** Unix-time event fields (an unstake's maturity, a proposal's expiry), shown as dates. */
const TIME_FIELD = /time$|expiresAt/i;

/** Event or return fields for people: amounts in CMT, times as dates with a duration. */
export function formatArgs(args: Record<string, string | boolean>, now?: number): string {
  return Object.entries(args)
    .map(([k, v]) => {
      if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) return `${k}=${String(v)}`;
      if (AMOUNT_FIELD.test(k)) return `${k}=${formatCmt(BigInt(v))} CMT`;
      if (TIME_FIELD.test(k)) return `${k}=${formatTimeFromNow(Number(v), now)}`;
      return `${k}=${v}`;
    })
    .join(' ');
}

function formatGasPrice(price: bigint): string {
  if (price === 0n) return '0 (free)';
  return price % GWEI === 0n ? `${price / GWEI} gwei` : `${price} wei`;
}

const CHECK_HINTS: Partial<Record<number, string>> = {
  [TxCode.NonceTooLow]: 'a transaction of this account may still be pending: wait for it, or pass --nonce',
  [TxCode.NonceTooHigh]: 'pass the account nonce shown by cmtd query account, or leave out --nonce',
  [TxCode.InsufficientFunds]: 'the account cannot pay value + gas limit × gas price: fund it (cmtd query account shows its balance)',
  [TxCode.GasPriceTooLow]: 'leave out --gas-price to pay min_gas_price; --gas-price 0 (a free slot) is only for transfers to addresses without code and staking/governance calls',
  [TxCode.FreeTxSlotsFull]: "the block's free slots are taken (one per sender per block): wait for the next block, or pay a gas price",
  [TxCode.FreeTxGasLimit]: 'a free transaction must stay within free_tx_gas_limit: lower --gas-limit or pay a gas price',
  [TxCode.IntrinsicGas]: 'raise --gas-limit, or leave it out to use the computed one',
};

interface Outcome {
  cometHash: string;
  height: bigint;
  result: TxResultJson;
}

async function waitForInclusion(client: NodeClient, cometHash: string, timeoutMs: number): Promise<Outcome | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const found = await client.call((rpc) => rpc.tx(cometHash));
      return { cometHash, height: BigInt(found.height), result: found.tx_result };
    } catch (err) {
      const message = (err as Error).message;
      if (/indexing is disabled|tx_index/i.test(message)) {
        throw new Error(`the node does not index transactions, so its outcome cannot be looked up: set [tx_index] indexer = "kv" in its config.toml (${message})`);
      }
      if (!(err instanceof CometRpcError) || !/not found/i.test(message)) throw err;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function unlockFrom(flags: TxFlags): Promise<Wallet> {
  const store = keyStore(flags.home);
  let name = flags.from;
  if (/^0x[0-9a-fA-F]{40}$/.test(name)) {
    const key = store.findByAddress(name);
    if (key === undefined) throw new Error(`--from ${name}: no key in ${store.dir} has this address; import it with 'cmtd keys import'`);
    name = key.name;
  }
  store.read(name); // a missing key says so before asking for a password
  const password = await getPassword({ file: flags.passwordFile, purpose: `key '${name}'` });
  return store.unlock(name, password);
}

function senderAddress(flags: TxFlags): Address {
  const store = keyStore(flags.home);
  if (/^0x[0-9a-fA-F]{40}$/.test(flags.from)) return flags.from.toLowerCase() as Address;
  return store.info(flags.from).address.toLowerCase() as Address;
}

/** A mined transaction's result, decoded: for the sender's outcome and for `cmtd query tx`. */
export interface TxReport {
  status: 'ok' | 'failed';
  height: string;
  code: number;
  codeName: string;
  codespace: string | undefined;
  log: string;
  gasUsed: string;
  fee: string;
  events: DecodedEvent[];
  returned?: Record<string, string | boolean>;
}

/** Decodes a result as CometBFT stores it; `fn` decodes the return data of a system call. */
export function txReport(height: bigint, result: TxResultJson, gasPrice: bigint, fn?: Call['fn']): TxReport {
  const receipt = result.data === null || result.data === '' ? undefined : decodeReceipt(new Uint8Array(Buffer.from(result.data, 'base64')));
  const events = (receipt?.logs ?? []).map(decodeLog);
  const returned = result.code === 0 && receipt !== undefined ? decodeResult(fn, receipt.returnData) : undefined;
  const gasUsed = BigInt(result.gas_used || '0');
  const price = receipt?.effectiveGasPrice ?? gasPrice;
  return {
    status: result.code === 0 ? 'ok' : 'failed',
    height: height.toString(),
    code: result.code,
    codeName: codeName(result.code),
    codespace: result.codespace,
    log: result.log,
    gasUsed: gasUsed.toString(),
    fee: (gasUsed * price).toString(),
    events,
    ...(returned === undefined ? {} : { returned }),
  };
}

/** The lines people read for a mined transaction: no wei, no raw Unix times. */
export function reportLines(hash: string, report: TxReport, gasLimit?: bigint): string[] {
  const gasUsed = BigInt(report.gasUsed);
  const fee = BigInt(report.fee);
  const lines = [
    report.status === 'ok' ? `ok: ${hash} in block ${report.height}` : `FAILED: ${hash} in block ${report.height}, code ${report.code} (${report.codeName})`,
    ...(report.log ? [`log: ${humanizeChainText(report.log)}`] : []),
    `gas used ${gasUsed}${gasLimit === undefined ? '' : ` of ${gasLimit}`}${gasUsed === 0n ? '' : ` at ${formatGasPrice(fee / gasUsed)}`}: fee ${formatCmt(fee, 18)} CMT`,
  ];
  if (report.events.length > 0) {
    lines.push('events:');
    for (const e of report.events)
      lines.push(e.event === undefined ? `  log of ${e.address}: topics ${e.topics!.join(',')} data ${e.data}` : `  ${e.event} ${formatArgs(e.args!)}`);
  }
  if (report.returned !== undefined) lines.push(`returned: ${formatArgs(report.returned)}`);
  return lines;
}

/** The unsigned legacy (EIP-155) transaction, for --generate-only and for signing. */
interface Plan {
  call: Call;
  sender: string;
  chainId: bigint;
  nonce: bigint;
  gasLimit: bigint;
  gasPrice: bigint;
  /** The sender's balance when the plan was made. */
  balance: bigint;
}

/** A transaction refused before signing: exit 2, the reason in CMT for people, raw for scripts. */
function refuse(flags: TxFlags, plan: Pick<Plan, 'call' | 'sender'>, reason: string): never {
  const hint = 'nothing was signed or sent and no fee was charged; --no-simulate sends it anyway';
  if (flags.output === 'json') {
    printJson({ status: 'refused', from: plan.sender, to: plan.call.to, value: plan.call.value.toString(), reason });
    throw new CliError(`refused before signing: ${reason}`, EXIT_REFUSED);
  }
  throw new CliError(`refused before signing: ${humanizeChainText(reason)}\n  ${plan.call.summary}\n  ${hint}`, EXIT_REFUSED);
}

function unsignedTx(plan: Plan): Transaction {
  return Transaction.from({
    type: 0,
    chainId: plan.chainId,
    nonce: Number(plan.nonce),
    gasPrice: plan.gasPrice,
    gasLimit: plan.gasLimit,
    to: plan.call.to,
    value: plan.call.value,
    data: plan.call.data,
  });
}

/** --dry-run: what the transaction would cost and do; nothing is signed or sent. */
async function printDryRun(flags: TxFlags, plan: Plan, eth: EthRpcClient): Promise<void> {
  const returnData = await eth.call({ from: plan.sender, to: plan.call.to, value: plan.call.value, data: plan.call.data }, plan.gasLimit);
  const returned = decodeResult(plan.call.fn, new Uint8Array(Buffer.from(returnData.replace(/^0x/, ''), 'hex')));
  // A system call uses exactly its fixed gas; the estimate of a contract call is the least gas it succeeds with.
  const fee = plan.gasLimit * plan.gasPrice;
  const after = plan.balance - plan.call.value - fee;
  if (flags.output === 'json') {
    printJson({
      status: 'simulated',
      from: plan.sender,
      to: plan.call.to,
      value: plan.call.value.toString(),
      nonce: plan.nonce.toString(),
      gasLimit: plan.gasLimit.toString(),
      gasPrice: plan.gasPrice.toString(),
      fee: fee.toString(),
      balanceBefore: plan.balance.toString(),
      balanceAfter: after.toString(),
      ...(returned === undefined ? {} : { returned }),
    });
    return;
  }
  const lines = [
    `dry run (nothing signed or sent): ${plan.call.summary}`,
    `simulation: ok at the latest block`,
    `gas ${plan.gasLimit} at ${formatGasPrice(plan.gasPrice)}: fee ${formatCmt(fee, 18)} CMT`,
    `effect: balance of ${plan.sender} ${formatCmt(plan.balance, 18)} CMT → ${formatCmt(after, 18)} CMT` +
      `${plan.call.value > 0n ? ` (sends ${formatCmt(plan.call.value, 18)} CMT + fee)` : ' (fee only)'}`,
    ...(returned === undefined ? [] : [`would return: ${formatArgs(returned)}`]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** --generate-only: the unsigned transaction, for signing offline. */
function printUnsigned(flags: TxFlags, plan: Plan): void {
  const unsigned = unsignedTx(plan).unsignedSerialized;
  if (flags.output === 'json') {
    printJson({
      type: 0,
      chainId: plan.chainId.toString(),
      from: plan.sender,
      to: plan.call.to,
      value: plan.call.value.toString(),
      data: plan.call.data,
      nonce: plan.nonce.toString(),
      gasLimit: plan.gasLimit.toString(),
      gasPrice: plan.gasPrice.toString(),
      unsigned,
    });
    return;
  }
  process.stderr.write(
    `unsigned transaction (legacy, EIP-155, chain id ${plan.chainId}): ${plan.call.summary}\n` +
      `from ${plan.sender}, nonce ${plan.nonce}, gas limit ${plan.gasLimit}, gas price ${formatGasPrice(plan.gasPrice)}; sign it offline and send it with eth_sendRawTransaction\n`,
  );
  process.stdout.write(`${unsigned}\n`);
}

/** Builds, simulates, signs, sends and follows one transaction; prints the outcome. */
export async function sendTx(flags: TxFlags, build: (ctx: TxContext) => Promise<Call> | Call): Promise<void> {
  if (flags.dryRun === true && flags.generateOnly === true) throw new Error('--dry-run and --generate-only do not go together: pick one');
  if (!flags.simulate && flags.dryRun === true) throw new Error('--dry-run is a simulation: drop --no-simulate');
  const client = new NodeClient(flags.node);
  const sender = senderAddress(flags);
  const params = (await client.read('params')) as ParamsJson;
  const call = await build({ flags, client, params, sender });
  const gasPrice = flags.gasPrice === undefined ? BigInt(params.min_gas_price) : parseGasPrice(flags.gasPrice);
  const account = await client.read('account', sender);
  const balance = BigInt(account.balance);
  const nonce = flags.nonce === undefined ? BigInt(account.nonce) : parseWhole(flags.nonce, '--nonce');
  const timeoutS = Number(parseWhole(flags.waitTimeout, '--wait-timeout'));

  let gasLimit: bigint;
  const eth = new EthRpcClient(flags.ethRpc);
  if (flags.simulate) {
    const insufficient = (gas: bigint, bound: string): never =>
      refuse(
        flags,
        { call, sender },
        `insufficient funds: ${sender} has ${balance} wei, the transaction needs ${bound} ${call.value + gas * gasPrice} wei (value ${call.value} wei + gas ${gas} × price ${gasPrice} wei)`,
      );
    // The value alone is beyond the balance: say it in these words rather than the EVM's.
    if (call.value > balance) insufficient(flags.gasLimit === undefined ? gasLimitOf(call) : parseWhole(flags.gasLimit, '--gas-limit'), 'at least');
    const simulated = await eth.estimate({ from: sender, to: call.to, value: call.value, data: call.data });
    if (!simulated.ok) refuse(flags, { call, sender }, simulated.reason);
    gasLimit = flags.gasLimit === undefined ? simulated.gas : parseWhole(flags.gasLimit, '--gas-limit');
    if (gasLimit < simulated.gas) refuse(flags, { call, sender }, `out of gas: it needs ${simulated.gas} gas, --gas-limit gives ${gasLimit}`);
    if (call.value + gasLimit * gasPrice > balance) insufficient(gasLimit, 'up to');
  } else {
    gasLimit = flags.gasLimit === undefined ? gasLimitOf(call) : parseWhole(flags.gasLimit, '--gas-limit');
  }
  if (gasPrice === 0n && gasLimit > BigInt(params.free_tx_gas_limit)) {
    throw new Error(`a free transaction (--gas-price 0) may ask for at most ${params.free_tx_gas_limit} gas; this one needs ${gasLimit}`);
  }
  const plan: Plan = { call, sender, chainId: BigInt(params.chain_id), nonce, gasLimit, gasPrice, balance };
  if (flags.dryRun === true) return printDryRun(flags, plan, eth);
  if (flags.generateOnly === true) return printUnsigned(flags, plan);

  const wallet = await unlockFrom(flags);
  if (wallet.address.toLowerCase() !== sender) throw new Error(`the key of --from ${flags.from} is for ${wallet.address}, not ${sender}`);
  const signed = await wallet.signTransaction(unsignedTx(plan));
  const raw = new Uint8Array(Buffer.from(signed.slice(2), 'hex'));
  const hash = Transaction.from(signed).hash!;
  const cometHash = cometTxHash(raw);
  const json = flags.output === 'json';
  if (!json) process.stderr.write(`${call.summary}\nsending ${hash} from ${sender} (nonce ${nonce}, gas limit ${gasLimit}, gas price ${formatGasPrice(gasPrice)})\n`);

  const check = await client.call((rpc) => rpc.broadcastTxSync(raw));
  if (check.code !== 0) {
    const hint = CHECK_HINTS[check.code];
    const log = json ? check.log : humanizeChainText(check.log);
    throw new Error(`the node refused the transaction (code ${check.code} ${codeName(check.code)}): ${log}${hint === undefined ? '' : `\n  ${hint}`}`);
  }
  const base = { hash, cometHash, from: sender, to: call.to, value: call.value.toString(), nonce: nonce.toString(), gasLimit: gasLimit.toString(), gasPrice: gasPrice.toString() };
  if (!flags.wait) {
    if (json) printJson({ ...base, status: 'pending' });
    else process.stdout.write(`accepted into the mempool: ${hash}\n  look it up: cmtd query tx ${hash}\n`);
    return;
  }
  const outcome = await waitForInclusion(client, cometHash, timeoutS * 1000);
  if (outcome === undefined) {
    throw new Error(`${hash} was accepted but is not in a block after ${timeoutS} s; look it up later: cmtd query tx ${hash}`);
  }
  const report = txReport(outcome.height, outcome.result, gasPrice, call.fn);
  if (report.status !== 'ok') process.exitCode = 1;
  if (json) printJson({ ...base, ...report });
  else process.stdout.write(`${reportLines(hash, report, gasLimit).join('\n')}\n`);
}

// ------------------------------------------------------------------ commands

/** Seed and public key of a CometBFT priv_validator_key.json, with a clear error when it is missing or not one. */
function readValidatorKey(path: string): { seed: Uint8Array; pubKey: Uint8Array } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--validator-key: cannot read ${path} (your node's CometBFT priv_validator_key.json): ${(err as Error).message}`);
  }
  return parsePrivValidatorKey(json, `--validator-key ${path}`);
}

function ratio(raw: string, flag: string): number {
  const bp = parseRatioBp(raw, flag);
  if (bp >= 10_000) throw new Error(`${flag} must be below 100%, got '${raw}'`);
  return bp;
}

async function currentCandidate(ctx: TxContext): Promise<QueryJson<'candidate'>> {
  try {
    return await ctx.client.read('candidate', ctx.sender);
  } catch (err) {
    if (/not found/i.test((err as Error).message)) throw new Error(`${ctx.sender} is not a candidate: declare first with 'cmtd tx declare'`);
    throw err;
  }
}

function bool(text: string, flag: string): boolean {
  if (text === 'yes' || text === 'true') return true;
  if (text === 'no' || text === 'false') return false;
  throw new Error(`${flag} must be yes or no, got '${text}'`);
}

type Flags = TxFlags & Record<string, unknown>;
const str = (flags: Flags, key: string): string => flags[key] as string;
const optionalStr = (flags: Flags, key: string): string | undefined => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);

interface Spec {
  name: string;
  description: string;
  options: Option[];
  describes?: boolean;
  build: (flags: Flags, ctx: TxContext) => Promise<Call> | Call;
}

const SPECS: Spec[] = [
  {
    name: 'transfer',
    description: 'send CMT to an address',
    options: [required('--to <address|key>', 'recipient: an address or a key name'), required('--amount <amount>', 'CMT ("1.5") or wei ("1500000000000000000wei")')],
    build: (f) => {
      const to = resolveAddress(str(f, 'to'), f.home, '--to');
      const amount = parseAmount(str(f, 'amount'), '--amount');
      return { to, data: '0x', value: amount, summary: `transfer ${formatCmt(amount, 18)} CMT to ${to}` };
    },
  },
  {
    name: 'declare',
    description: 'declare candidacy (the value sent is the self-stake)',
    options: [
      opt(
        '--validator-key <file>',
        "your node's CometBFT priv_validator_key.json: its key is the consensus key, and it signs the proof of possession (SPEC 6); default: <home>/cometbft/config/priv_validator_key.json",
      ),
      opt('--pub-key <key>', 'the consensus public key (base64 or hex) as a check: it must be the key of --validator-key'),
      required('--max-stake <amount>', 'declared maximum total stake (CMT)'),
      opt('--self-stake <amount>', 'self-stake sent with the call (CMT); default: the minimum, self_stake_ratio of --max-stake'),
      opt('--comp-rate <ratio>', 'default compensation rate, below 100%: 0.2 or 20%', '0'),
    ],
    describes: true,
    build: async (f, ctx) => {
      const maxStake = parseAmount(str(f, 'maxStake'), '--max-stake');
      const min = (maxStake * BigInt(ctx.params.self_stake_ratio_bp) + 9_999n) / 10_000n;
      const selfStake = optionalStr(f, 'selfStake') === undefined ? min : parseAmount(str(f, 'selfStake'), '--self-stake');
      const rate = ratio(str(f, 'compRate'), '--comp-rate');
      const description = descriptionFrom(f) ?? '{}';
      const key = readValidatorKey(optionalStr(f, 'validatorKey') ?? join(cometHomeOf(f.home), 'config', 'priv_validator_key.json'));
      const expected = optionalStr(f, 'pubKey');
      if (expected !== undefined && !Buffer.from(parseConsensusKey(expected)).equals(key.pubKey)) {
        throw new Error('--pub-key is not the public key of --validator-key: declare with the key your node signs blocks with');
      }
      // The chain id the ledger recorded at InitChain (CometBFT's, from genesis.json).
      const { chain_id: chainId } = await ctx.client.read('chainId');
      const signature = signCandidacy(key.seed, chainId, ctx.sender);
      return systemCall(
        'staking',
        'declareCandidacy',
        [`0x${Buffer.from(key.pubKey).toString('hex')}`, signature, maxStake, rate, description],
        selfStake,
        `declare candidacy: max stake ${formatCmt(maxStake)} CMT, self-stake ${formatCmt(selfStake)} CMT, compensation ${rate / 100}%`,
      );
    },
  },
  {
    name: 'update',
    description: 'update your candidacy; what is not given stays as it is (a changed description clears "verified")',
    options: [
      opt('--max-stake <amount>', 'new maximum total stake (CMT)'),
      opt('--comp-rate <ratio>', 'new default compensation rate (new delegations only)'),
      opt('--amount <amount>', 'self-stake to add (CMT), e.g. to raise --max-stake', '0'),
    ],
    describes: true,
    build: async (f, ctx) => {
      const current = await currentCandidate(ctx);
      const maxStake = optionalStr(f, 'maxStake') === undefined ? BigInt(current.maxStake) : parseAmount(str(f, 'maxStake'), '--max-stake');
      const rate = optionalStr(f, 'compRate') === undefined ? current.compRateBp : ratio(str(f, 'compRate'), '--comp-rate');
      const description = descriptionFrom(f, current.description) ?? current.description;
      const amount = parseAmount(str(f, 'amount'), '--amount');
      return systemCall('staking', 'updateCandidacy', [maxStake, rate, description], amount, `update candidacy: max stake ${formatCmt(maxStake)} CMT, compensation ${rate / 100}%`);
    },
  },
  {
    name: 'withdraw-candidacy',
    description: 'withdraw your candidacy: all its stake starts the unstake wait',
    options: [],
    build: () => systemCall('staking', 'withdrawCandidacy', [], 0n, 'withdraw candidacy'),
  },
  {
    name: 'activate',
    description: 'activate your candidacy again (also after removal by slashing)',
    options: [],
    build: () => systemCall('staking', 'activateCandidacy', [], 0n, 'activate candidacy'),
  },
  {
    name: 'deactivate',
    description: 'deactivate your candidacy: out of the ranking, no awards, no slashing',
    options: [],
    build: () => systemCall('staking', 'deactivateCandidacy', [], 0n, 'deactivate candidacy'),
  },
  {
    name: 'verify',
    description: 'foundation: mark a candidate verified (or not, with --revoke)',
    options: [required('--candidate <address|key>', 'the candidate'), opt('--revoke', 'clear the mark instead')],
    build: (f) => {
      const candidate = resolveAddress(str(f, 'candidate'), f.home, '--candidate');
      const verified = f.revoke !== true;
      return systemCall('staking', 'verifyCandidacy', [candidate, verified], 0n, `${verified ? 'verify' : 'unverify'} candidate ${candidate}`);
    },
  },
  {
    name: 'set-enterprise',
    description: 'foundation: mark an account CMT Enterprise (or not, with --revoke)',
    options: [required('--account <address|key>', 'the account'), opt('--revoke', 'clear the mark instead')],
    build: (f) => {
      const account = resolveAddress(str(f, 'account'), f.home, '--account');
      const enterprise = f.revoke !== true;
      return systemCall('staking', 'setEnterprise', [account, enterprise], 0n, `${enterprise ? 'mark' : 'unmark'} ${account} as enterprise`);
    },
  },
  {
    name: 'delegate',
    description: 'stake CMT to a candidate',
    options: [required('--candidate <address|key>', 'the candidate'), required('--amount <amount>', 'stake (CMT)')],
    build: (f) => {
      const candidate = resolveAddress(str(f, 'candidate'), f.home, '--candidate');
      const amount = parseAmount(str(f, 'amount'), '--amount');
      return systemCall('staking', 'delegate', [candidate], amount, `delegate ${formatCmt(amount, 18)} CMT to ${candidate}`);
    },
  },
  {
    name: 'unstake',
    description: 'start the unstake wait for some or all of your stake at a candidate',
    options: [required('--candidate <address|key>', 'the candidate'), required('--amount <amount|all>', 'stake to unstake (CMT), or all')],
    build: (f) => {
      const candidate = resolveAddress(str(f, 'candidate'), f.home, '--candidate');
      const text = str(f, 'amount');
      const amount = text.trim().toLowerCase() === 'all' ? 0n : parseAmount(text, '--amount');
      if (amount === 0n && text.trim().toLowerCase() !== 'all') throw new Error("--amount 0 would unstake everything: write '--amount all' to mean that");
      return systemCall('staking', 'unstake', [candidate, amount], 0n, `unstake ${amount === 0n ? 'all' : `${formatCmt(amount, 18)} CMT`} from ${candidate}`);
    },
  },
  {
    name: 'set-comp-rate',
    description: "candidate: set one delegation's compensation rate (at most your default)",
    options: [required('--delegator <address|key>', 'the delegator'), required('--rate <ratio>', '0.05 or 5%')],
    build: (f) => {
      const delegator = resolveAddress(str(f, 'delegator'), f.home, '--delegator');
      const rate = ratio(str(f, 'rate'), '--rate');
      return systemCall('staking', 'setCompRate', [delegator, rate], 0n, `set the compensation rate of ${delegator}'s delegation to ${rate / 100}%`);
    },
  },
  {
    name: 'propose-param',
    description: 'validator: propose a parameter change',
    options: [
      required('--param <name>', 'parameter name (cmtd query params lists them)'),
      required('--value <value>', 'new value, as in genesis params (wei for amounts, basis points for rates)'),
      opt('--reason <text>', 'why', ''),
    ],
    build: (f) => systemCall('governance', 'proposeParamChange', [str(f, 'param'), str(f, 'value'), str(f, 'reason')], 0n, `propose ${str(f, 'param')} = ${str(f, 'value')}`),
  },
  {
    name: 'propose-transfer',
    description: 'validator: propose moving funds (held from the source at once; paid if passed, returned if not)',
    options: [
      required('--source <address|key>', 'account the funds are taken from'),
      required('--to <address|key>', 'recipient'),
      required('--amount <amount>', 'CMT'),
      opt('--reason <text>', 'why', ''),
    ],
    build: (f) => {
      const source = resolveAddress(str(f, 'source'), f.home, '--source');
      const to = resolveAddress(str(f, 'to'), f.home, '--to');
      const amount = parseAmount(str(f, 'amount'), '--amount');
      return systemCall('governance', 'proposeTransferFund', [source, to, amount, str(f, 'reason')], 0n, `propose moving ${formatCmt(amount, 18)} CMT from ${source} to ${to}`);
    },
  },
  {
    name: 'vote',
    description: 'validator: vote on a proposal (a later vote replaces an earlier one)',
    options: [required('--proposal <id>', 'proposal id'), required('--vote <yes|no>', 'yes or no')],
    build: (f) => {
      const id = parseWhole(str(f, 'proposal'), '--proposal');
      const yes = bool(str(f, 'vote').trim().toLowerCase(), '--vote');
      return systemCall('governance', 'vote', [id, yes], 0n, `vote ${yes ? 'yes' : 'no'} on proposal ${id}`);
    },
  },
];

export function registerTx(program: Command): void {
  const tx = program.command('tx').description('sign a transaction with a stored key, send it to a node and print its outcome');
  for (const spec of SPECS) {
    const command = tx.command(spec.name).description(spec.description);
    command.addOption(required('--from <key>', 'the signing key: a name in <home>/keys (or its address)'));
    for (const option of spec.options) command.addOption(option);
    if (spec.describes === true) addDescriptionOptions(command);
    command
      .addOption(homeOption())
      .addOption(nodeOption())
      .addOption(outputOption())
      .addOption(opt('--password-file <file>', 'file whose first line is the key password (else CMTD_KEY_PASSWORD, else a prompt)'))
      .addOption(opt('--gas-price <price>', 'wei, or with a unit: 2gwei; 0 uses a free slot (default: min_gas_price)'))
      .addOption(opt('--gas-limit <gas>', "default: the simulation's gas (with --no-simulate: intrinsic gas + the call's fixed cost)"))
      .addOption(opt('--nonce <n>', "default: the account's next nonce"))
      .addOption(opt('--no-wait', 'return once the node accepted the transaction, without waiting for a block'))
      .addOption(opt('--wait-timeout <seconds>', 'how long to wait for a block', '60'))
      .addOption(opt('--eth-rpc <url>', "the node's Ethereum JSON-RPC, where the transaction is simulated first", `http://${DEFAULT_ETH_RPC_ADDRESS}`))
      .addOption(opt('--no-simulate', 'send without simulating first (a doomed transaction is then mined and charged)'))
      .addOption(opt('--dry-run', 'simulate and print the gas, fee and effect; sign and send nothing'))
      .addOption(opt('--generate-only', 'print the unsigned transaction (hex; JSON with --output json) for offline signing; send nothing'))
      .addHelpText('after', '\nExit status: 0 done, 1 an error or a transaction that failed in its block, 2 refused before signing (the simulation failed: nothing sent, no fee).')
      .action((flags: Flags) => sendTx(flags, (ctx) => spec.build(flags, ctx)));
  }
}
