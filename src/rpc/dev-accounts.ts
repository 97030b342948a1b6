/**
 * The JSON-RPC methods that need private keys: `cmtd dev` serves them with
 * its development accounts (the accounts of a mnemonic, as anvil and
 * `hardhat node` do); `cmtd start` holds no key and refuses them
 * (devOnlyRefusals). Signed transactions go to the node like any other, by
 * eth_sendRawTransaction: consensus sees nothing special, and
 * anvil_setBalance is a transfer from a faucet account, not a state edit;
 * evm_mine makes a block (an idle chain makes none) by a faucet transfer to
 * itself.
 */
import { getBytes, hexlify, isHexString, toUtf8Bytes, type HDNodeWallet, type TransactionRequest, type TypedDataField, type Wallet } from 'ethers';
import { RpcCode, RpcError, invalidParams } from './errors.js';
import { describeValue, parseAddress, parseData, parseQuantity, quantity } from './hex.js';
import { methodTable, requiredArg, type MethodSpec } from './jsonrpc.js';

/** The methods a key is needed for: served by `cmtd dev` only. */
export const DEV_ONLY_METHODS = [
  'eth_sendTransaction',
  'eth_sign',
  'personal_sign',
  'eth_signTypedData_v4',
  'anvil_setBalance',
  'hardhat_setBalance',
  'evm_mine',
  'anvil_mine',
  'hardhat_mine',
] as const;

/** Most blocks one anvil_mine / hardhat_mine makes (each is a faucet transaction mined in turn). */
export const MAX_MINE_BLOCKS = 100;

/** `cmtd start`'s answers to the key methods: a clear refusal (eth_accounts stays, answering []). */
export function devOnlyRefusals(): Map<string, MethodSpec> {
  const methods = new Map<string, MethodSpec>();
  for (const name of DEV_ONLY_METHODS) {
    methods.set(name, {
      maxParams: 2,
      handler: () => {
        throw new RpcError(
          RpcCode.MethodNotSupported,
          `${name} is served by 'cmtd dev' only: this node holds no keys. Sign in your wallet or client (ethers Wallet, viem account, Hardhat accounts) and send the signed transaction with eth_sendRawTransaction`,
        );
      },
    });
  }
  return methods;
}

/** How the dev methods reach the node: one JSON-RPC call, errors as RpcError. */
export interface NodeRpc {
  call<T>(method: string, params: unknown[]): Promise<T>;
}

export interface DevAccountsOptions {
  /** The accounts eth_accounts lists and the signing methods sign with. */
  accounts: ReadonlyArray<Wallet | HDNodeWallet>;
  /** Pays for anvil_setBalance / hardhat_setBalance; not listed by eth_accounts. */
  faucet: Wallet | HDNodeWallet;
  node: NodeRpc;
  /** How long anvil_setBalance waits for its transfer to be mined, ms. */
  receiptTimeoutMs?: number;
}

/** The most a typed-data request may hold (JSON text), bytes. */
const MAX_TYPED_DATA = 64 * 1024;

type Signer = Wallet | HDNodeWallet;

function optionalQuantity(tx: Record<string, unknown>, name: string): bigint | undefined {
  const v = tx[name];
  return v === undefined || v === null ? undefined : parseQuantity(v, `transaction.${name}`);
}

/**
 * The methods of `cmtd dev`'s development accounts. Each account's
 * transactions are signed and sent one at a time, so two concurrent
 * eth_sendTransaction calls take consecutive nonces.
 */
export function devAccountMethods(o: DevAccountsOptions): Map<string, MethodSpec> {
  const byAddress = new Map<string, Signer>(o.accounts.map((w) => [w.address.toLowerCase(), w]));
  const addresses = [...byAddress.keys()];
  const queues = new Map<string, Promise<unknown>>();
  const receiptTimeoutMs = o.receiptTimeoutMs ?? 30_000;
  let chainId: Promise<string> | undefined;
  /** The chain id never changes: asked once (again after a failure). */
  const chainIdOnce = (): Promise<string> => {
    chainId ??= o.node.call<string>('eth_chainId', []).catch((err: unknown) => {
      chainId = undefined;
      throw err;
    });
    return chainId;
  };

  /** Runs `work` after the account's earlier sends (nonce order). */
  const serial = <T>(address: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(address) ?? Promise.resolve();
    const next = previous.then(work, work);
    queues.set(
      address,
      next.catch(() => undefined),
    );
    return next;
  };

  const signer = (value: unknown, name: string): Signer => {
    const address = parseAddress(value, name);
    const wallet = byAddress.get(address);
    if (wallet === undefined) throw new RpcError(RpcCode.Server, `unknown account ${address}: cmtd dev signs for its development accounts only (eth_accounts lists them)`);
    return wallet;
  };

  /** Fills what the caller left out (nonce, gas, fees) from the node, signs and broadcasts; returns the hash. */
  const send = async (wallet: Signer, tx: Record<string, unknown>): Promise<string> => {
    const from = wallet.address.toLowerCase();
    const to = tx.to === undefined || tx.to === null ? null : parseAddress(tx.to, 'transaction.to');
    const input = tx.input ?? tx.data;
    const dataHex = input === undefined || input === null ? '0x' : hexlify(parseData(input, 'transaction.data'));
    if (tx.data !== undefined && tx.input !== undefined && tx.data !== tx.input) throw invalidParams('transaction: "data" and "input" differ');
    const value = optionalQuantity(tx, 'value') ?? 0n;
    const gasPrice = optionalQuantity(tx, 'gasPrice');
    const maxFeePerGas = optionalQuantity(tx, 'maxFeePerGas');
    const maxPriorityFeePerGas = optionalQuantity(tx, 'maxPriorityFeePerGas');
    const type = optionalQuantity(tx, 'type');
    if (type !== undefined && type > 2n) throw invalidParams(`transaction.type: cmtd dev signs types 0, 1 and 2, not ${type}`);
    if (gasPrice !== undefined && (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined)) {
      throw invalidParams('transaction: give gasPrice or maxFeePerGas/maxPriorityFeePerGas, not both');
    }
    const dynamic = type === 2n || (type === undefined && gasPrice === undefined);
    if (tx.accessList !== undefined && tx.accessList !== null && !Array.isArray(tx.accessList)) {
      throw invalidParams(`transaction.accessList: expected an array, got ${describeValue(tx.accessList)}`);
    }
    const accessList = (tx.accessList ?? undefined) as TransactionRequest['accessList'] | undefined;
    const givenGas = optionalQuantity(tx, 'gas') ?? optionalQuantity(tx, 'gasLimit');
    const givenNonce = optionalQuantity(tx, 'nonce');
    const needsPrice = dynamic ? maxFeePerGas === undefined : gasPrice === undefined;
    // What is missing, asked of the node at once (one round trip of latency, not four).
    const [chainIdHex, priceHex, gasHex, nonceHex] = await Promise.all([
      chainIdOnce(),
      needsPrice ? o.node.call<string>('eth_gasPrice', []) : undefined,
      givenGas === undefined
        ? o.node.call<string>('eth_estimateGas', [
            { from, ...(to === null ? {} : { to }), data: dataHex, value: quantity(value), ...(accessList === undefined ? {} : { accessList }) },
          ])
        : undefined,
      givenNonce === undefined ? o.node.call<string>('eth_getTransactionCount', [from, 'pending']) : undefined,
    ]);
    const request: TransactionRequest = {
      chainId: BigInt(chainIdHex),
      to,
      data: dataHex,
      value,
      type: dynamic ? 2 : Number(type ?? 0n),
      gasLimit: givenGas ?? BigInt(gasHex!),
      nonce: Number(givenNonce ?? BigInt(nonceHex!)),
      ...(accessList === undefined ? {} : { accessList }),
    };
    if (dynamic) {
      request.maxPriorityFeePerGas = maxPriorityFeePerGas ?? 0n;
      request.maxFeePerGas = maxFeePerGas ?? BigInt(priceHex!) + (maxPriorityFeePerGas ?? 0n);
    } else {
      request.gasPrice = gasPrice ?? BigInt(priceHex!);
    }
    const raw = await wallet.signTransaction(request);
    return o.node.call<string>('eth_sendRawTransaction', [raw]);
  };

  const waitForReceipt = async (hash: string): Promise<{ status: string }> => {
    const deadline = Date.now() + receiptTimeoutMs;
    for (;;) {
      const receipt = await o.node.call<{ status: string } | null>('eth_getTransactionReceipt', [hash]);
      if (receipt !== null) return receipt;
      if (Date.now() > deadline) throw new RpcError(RpcCode.Server, `the faucet's transfer ${hash} was not mined within ${receiptTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** Message bytes of personal_sign / eth_sign: hex is taken as bytes, other text as UTF-8 (as MetaMask does). */
  const messageBytes = (value: unknown, name: string): Uint8Array => {
    if (typeof value !== 'string') throw invalidParams(`${name}: expected a hex string or text, got ${describeValue(value)}`);
    if (value.length > 2 * MAX_TYPED_DATA) throw invalidParams(`${name}: at most ${MAX_TYPED_DATA} bytes`);
    return isHexString(value) ? getBytes(value) : toUtf8Bytes(value);
  };

  const { methods, def } = methodTable();
  const arg = requiredArg;

  def('eth_accounts', 0, () => addresses);
  def('eth_requestAccounts', 0, () => addresses);
  def('eth_sendTransaction', 1, (p) => {
    const tx = arg(p, 0, 'transaction');
    if (typeof tx !== 'object' || tx === null || Array.isArray(tx)) throw invalidParams(`transaction: expected an object, got ${describeValue(tx)}`);
    const fields = tx as Record<string, unknown>;
    const wallet = signer(arg([fields.from], 0, 'transaction.from'), 'transaction.from');
    return serial(wallet.address.toLowerCase(), () => send(wallet, fields));
  });
  def('eth_sign', 2, (p) => signer(arg(p, 0, 'address'), 'address').signMessage(messageBytes(arg(p, 1, 'message'), 'message')));
  def('personal_sign', 3, (p) => signer(arg(p, 1, 'address'), 'address').signMessage(messageBytes(arg(p, 0, 'message'), 'message')));
  def('eth_signTypedData_v4', 2, async (p) => {
    const wallet = signer(arg(p, 0, 'address'), 'address');
    const typed = parseTypedData(arg(p, 1, 'typedData'));
    try {
      return await wallet.signTypedData(typed.domain, typed.types, typed.message);
    } catch (err) {
      throw invalidParams(`typedData: ${(err as Error).message.slice(0, 300)}`);
    }
  });
  const setBalance = async (p: unknown[]): Promise<boolean> => {
    const address = parseAddress(arg(p, 0, 'address'), 'address');
    const wanted = parseQuantity(arg(p, 1, 'balance'), 'balance');
    const faucet = o.faucet.address.toLowerCase();
    if (address === faucet) throw invalidParams(`${address} is the faucet that pays for setBalance; it cannot fund itself`);
    return serial(faucet, async () => {
      const has = BigInt(await o.node.call<string>('eth_getBalance', [address, 'latest']));
      if (wanted === has) return true;
      if (wanted < has) {
        throw new RpcError(
          RpcCode.Server,
          `cmtd dev can only raise a balance: ${address} has ${has} wei, more than the ${wanted} asked (balances change by transactions only; the dev faucet can give, not take)`,
        );
      }
      // Gas estimated, not 21,000: a contract's receive code runs too.
      const hash = await send(o.faucet, { to: address, value: quantity(wanted - has) });
      const receipt = await waitForReceipt(hash);
      if (BigInt(receipt.status) !== 1n) throw new RpcError(RpcCode.Server, `the faucet's transfer ${hash} to ${address} failed (a contract that refuses plain transfers?)`);
      return true;
    });
  };
  def('anvil_setBalance', 2, setBalance);
  def('hardhat_setBalance', 2, setBalance);
  /** Blocks made one after another, each by a 0-value faucet transfer to itself (a block's time is the validator's clock: none can be set). */
  const mine = async (count: bigint): Promise<void> => {
    const faucet = o.faucet.address.toLowerCase();
    for (let i = 0n; i < count; i++) {
      await serial(faucet, async () => {
        const hash = await send(o.faucet, { to: faucet, value: '0x0', gas: quantity(21_000n) });
        await waitForReceipt(hash);
      });
    }
  };
  def('evm_mine', 1, async (p) => {
    if (p[0] !== undefined && p[0] !== null) throw invalidParams("evm_mine: cmtd dev cannot set a block's timestamp (it is the validator's clock); call it without parameters");
    await mine(1n);
    return '0x0';
  });
  const mineMany = async (p: unknown[]): Promise<null> => {
    const count = p[0] === undefined || p[0] === null ? 1n : parseQuantity(p[0], 'blocks');
    if (count < 1n || count > BigInt(MAX_MINE_BLOCKS)) throw invalidParams(`blocks: from 1 to ${MAX_MINE_BLOCKS}, got ${count}`);
    if (p[1] !== undefined && p[1] !== null && p[1] !== '0x0' && p[1] !== 0)
      throw invalidParams("interval: cmtd dev cannot set blocks' timestamps (they are the validator's clock)");
    await mine(count);
    return null;
  };
  def('anvil_mine', 2, mineMany);
  def('hardhat_mine', 2, mineMany);
  return methods;
}

interface TypedData {
  domain: Record<string, unknown>;
  types: Record<string, TypedDataField[]>;
  message: Record<string, unknown>;
}

/** eth_signTypedData_v4's second argument: the EIP-712 JSON (text or object). */
function parseTypedData(value: unknown): TypedData {
  let v = value;
  if (typeof v === 'string') {
    if (v.length > MAX_TYPED_DATA) throw invalidParams(`typedData: at most ${MAX_TYPED_DATA} bytes`);
    try {
      v = JSON.parse(v) as unknown;
    } catch (err) {
      throw invalidParams(`typedData: not JSON: ${(err as Error).message}`);
    }
  }
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(v) || !isObject(v.types) || !isObject(v.message)) {
    throw invalidParams('typedData: expected EIP-712 data {"types", "primaryType", "domain", "message"}');
  }
  const types: Record<string, TypedDataField[]> = {};
  for (const [name, fields] of Object.entries(v.types)) {
    if (name === 'EIP712Domain') continue; // ethers derives the domain type from `domain`
    if (!Array.isArray(fields)) throw invalidParams(`typedData.types.${name}: expected an array of {name, type}`);
    types[name] = fields as TypedDataField[];
  }
  const domain = v.domain === undefined ? {} : v.domain;
  if (!isObject(domain)) throw invalidParams('typedData.domain: expected an object');
  if (typeof v.primaryType === 'string' && types[v.primaryType] === undefined) throw invalidParams(`typedData.primaryType: no type '${v.primaryType}' in types`);
  // ethers takes the primary type to be the one no other type refers to: keep only what primaryType reaches.
  return { domain, types: typeof v.primaryType === 'string' ? reachable(types, v.primaryType) : types, message: v.message };
}

/** The types `primary` refers to, directly or not, itself included. */
function reachable(types: Record<string, TypedDataField[]>, primary: string): Record<string, TypedDataField[]> {
  const out: Record<string, TypedDataField[]> = {};
  const visit = (name: string): void => {
    if (out[name] !== undefined || types[name] === undefined) return;
    out[name] = types[name];
    for (const field of types[name]) visit(field.type.replace(/(\[[0-9]*\])+$/, ''));
  };
  visit(primary);
  return out;
}
