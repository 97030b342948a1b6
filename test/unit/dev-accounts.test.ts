/**
 * The development-account methods (src/rpc/dev-accounts.ts) on their own,
 * against a scripted node: what eth_sendTransaction fills in and signs,
 * and clear errors — with nothing sent — for bad input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HDNodeWallet, Mnemonic, Transaction } from 'ethers';
import { devAccountMethods, devOnlyRefusals, DEV_ONLY_METHODS, type NodeRpc } from '../../src/rpc/dev-accounts.js';
import { RpcError } from '../../src/rpc/errors.js';
import { JsonRpcDispatcher } from '../../src/rpc/jsonrpc.js';

const parent = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase('test test test test test test test test test test test junk'), "m/44'/60'/0'/0");
const accounts = [parent.deriveChild(0), parent.deriveChild(1)];
const faucet = parent.deriveChild(2);
const OTHER = '0x00000000000000000000000000000000000000aa';

/** A node that answers the reads eth_sendTransaction makes and records what is broadcast. */
class ScriptedNode implements NodeRpc {
  readonly calls: string[] = [];
  readonly sent: Transaction[] = [];
  nonce = 7n;
  balance = 0n;
  async call<T>(method: string, params: unknown[]): Promise<T> {
    this.calls.push(method);
    const answers: Record<string, () => unknown> = {
      eth_chainId: () => '0x12',
      eth_gasPrice: () => '0x77359400',
      eth_estimateGas: () => '0x5208',
      eth_getTransactionCount: () => `0x${(this.nonce + BigInt(this.sent.length)).toString(16)}`,
      eth_getBalance: () => `0x${this.balance.toString(16)}`,
      eth_getTransactionReceipt: () => ({ status: '0x1' }),
      eth_sendRawTransaction: () => {
        const tx = Transaction.from(params[0] as string);
        this.sent.push(tx);
        return tx.hash;
      },
    };
    const answer = answers[method];
    if (answer === undefined) throw new RpcError(-32601, `unexpected ${method}`);
    return answer() as T;
  }
}

async function call(node: ScriptedNode, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const dispatcher = new JsonRpcDispatcher({ methods: devAccountMethods({ accounts, faucet, node }), maxBatch: 10 });
  return JSON.parse((await dispatcher.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })))!) as { result?: unknown; error?: { code: number; message: string } };
}

describe('development-account methods', () => {
  it('eth_sendTransaction fills chain id, fees, gas and nonce from the node and signs as the account', async () => {
    const node = new ScriptedNode();
    const answer = await call(node, 'eth_sendTransaction', [{ from: accounts[1]!.address, to: OTHER, value: '0x10' }]);
    assert.equal(node.sent.length, 1);
    const tx = node.sent[0]!;
    assert.equal(answer.result, tx.hash);
    assert.equal(tx.from, accounts[1]!.address);
    assert.equal(tx.chainId, 18n);
    assert.equal(tx.type, 2);
    assert.equal(tx.maxFeePerGas, 2_000_000_000n);
    assert.equal(tx.gasLimit, 21_000n);
    assert.equal(tx.nonce, 7);
    assert.equal(tx.value, 16n);
  });

  it('keeps what the caller gave: a legacy gasPrice, gas, nonce, data', async () => {
    const node = new ScriptedNode();
    await call(node, 'eth_sendTransaction', [{ from: accounts[0]!.address, to: OTHER, gasPrice: '0x3b9aca00', gas: '0x9c40', nonce: '0x2', data: '0xabcd' }]);
    const tx = node.sent[0]!;
    assert.equal(tx.type, 0);
    assert.equal(tx.gasPrice, 1_000_000_000n);
    assert.equal(tx.gasLimit, 40_000n);
    assert.equal(tx.nonce, 2);
    assert.equal(tx.data, '0xabcd');
    assert.ok(!node.calls.includes('eth_estimateGas') && !node.calls.includes('eth_getTransactionCount') && !node.calls.includes('eth_gasPrice'));
  });

  it('refuses bad transactions with a clear error and sends nothing', async () => {
    const cases: Array<[unknown[], RegExp]> = [
      [[{ from: OTHER, to: OTHER }], /unknown account 0x0+aa: cmtd dev signs for its development accounts only/],
      [[{ to: OTHER }], /transaction\.from/],
      [[{ from: accounts[0]!.address, to: 'nowhere' }], /transaction\.to: expected an address/],
      [[{ from: accounts[0]!.address, gasPrice: '0x1', maxFeePerGas: '0x1' }], /not both/],
      [[{ from: accounts[0]!.address, data: '0x00', input: '0x01' }], /"data" and "input" differ/],
      [[{ from: accounts[0]!.address, type: '0x4' }], /types 0, 1 and 2/],
      [['0xdead'], /expected an object/],
    ];
    for (const [params, message] of cases) {
      const node = new ScriptedNode();
      const answer = await call(node, 'eth_sendTransaction', params);
      assert.match(answer.error?.message ?? '', message, JSON.stringify(params));
      assert.equal(node.sent.length, 0);
    }
  });

  it('refuses typed data that is not EIP-712 with invalid params', async () => {
    for (const bad of ['not json', '{}', JSON.stringify({ types: { Mail: 'x' }, message: {} }), JSON.stringify({ types: {}, primaryType: 'Mail', message: {} })]) {
      const answer = await call(new ScriptedNode(), 'eth_signTypedData_v4', [accounts[0]!.address, bad]);
      assert.equal(answer.error?.code, -32602, bad);
    }
  });

  it('setBalance sends the difference from the faucet; a lower balance is refused with nothing sent', async () => {
    const node = new ScriptedNode();
    node.balance = 5n;
    assert.equal((await call(node, 'anvil_setBalance', [OTHER, '0x20'])).result, true);
    assert.equal(node.sent.length, 1);
    assert.equal(node.sent[0]!.from, faucet.address);
    assert.equal(node.sent[0]!.value, 27n);
    const lower = await call(node, 'hardhat_setBalance', [OTHER, '0x1']);
    assert.match(lower.error?.message ?? '', /can only raise a balance/);
    assert.equal(node.sent.length, 1);
    assert.match((await call(node, 'anvil_setBalance', [faucet.address, '0x1'])).error?.message ?? '', /is the faucet/);
  });

  it('evm_mine / anvil_mine make blocks by faucet transfers to itself, one at a time; timestamps and bad counts are refused with nothing sent', async () => {
    const node = new ScriptedNode();
    assert.equal((await call(node, 'evm_mine', [])).result, '0x0');
    assert.equal(node.sent.length, 1);
    assert.deepEqual([node.sent[0]!.from, node.sent[0]!.to?.toLowerCase(), node.sent[0]!.value], [faucet.address, faucet.address.toLowerCase(), 0n]);
    assert.equal((await call(node, 'anvil_mine', ['0x3'])).result, null);
    assert.equal(node.sent.length, 4);
    assert.deepEqual(
      node.sent.slice(1).map((t) => t.nonce),
      [1, 2, 3].map((i) => node.sent[0]!.nonce + i),
      'each waits for the one before',
    );
    for (const [method, params, message] of [
      ['evm_mine', ['0x5f5e1000'], /cannot set a block's timestamp/],
      ['hardhat_mine', ['0x0'], /from 1 to 100/],
      ['anvil_mine', ['0x65'], /from 1 to 100/],
      ['anvil_mine', ['0x2', '0x10'], /cannot set blocks' timestamps/],
    ] as const) {
      const answer = await call(node, method, [...params]);
      assert.match(answer.error?.message ?? '', message, `${method} ${JSON.stringify(params)}`);
    }
    assert.equal(node.sent.length, 4);
  });

  it('cmtd start refuses every key method, naming cmtd dev', async () => {
    const dispatcher = new JsonRpcDispatcher({ methods: devOnlyRefusals(), maxBatch: 10 });
    for (const method of DEV_ONLY_METHODS) {
      const answer = JSON.parse((await dispatcher.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] })))!) as { error: { code: number; message: string } };
      assert.equal(answer.error.code, -32004);
      assert.match(answer.error.message, new RegExp(`^${method} is served by 'cmtd dev' only`));
    }
  });
});
