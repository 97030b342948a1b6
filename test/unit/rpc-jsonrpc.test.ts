/** The JSON-RPC envelope (src/rpc/jsonrpc.ts) and parameter parsers (src/rpc/hex.ts, call.ts, eth.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcDispatcher, type MethodSpec } from '../../src/rpc/jsonrpc.js';
import { RpcCode, RpcError } from '../../src/rpc/errors.js';
import { parseAddress, parseData, parseHash, parseQuantity, parseSlot, quantity, fixed } from '../../src/rpc/hex.js';
import { parseCallRequest } from '../../src/rpc/call.js';
import { parseLogCriteria, refusalError } from '../../src/rpc/eth.js';

function dispatcher(maxBatch = 3): JsonRpcDispatcher {
  const methods = new Map<string, MethodSpec>([
    ['echo', { maxParams: 2, handler: (p) => p }],
    [
      'boom',
      {
        maxParams: 0,
        handler: () => {
          throw new Error('kaput');
        },
      },
    ],
    [
      'revert',
      {
        maxParams: 0,
        handler: () => {
          throw new RpcError(RpcCode.ExecutionReverted, 'execution reverted: no', '0x08c379a0');
        },
      },
    ],
    ['bigint', { maxParams: 0, handler: () => ({ amount: 10n ** 20n }) }],
  ]);
  return new JsonRpcDispatcher({ methods, maxBatch });
}

async function call(body: string, maxBatch?: number): Promise<unknown> {
  const text = await dispatcher(maxBatch).handleText(body);
  return text === undefined ? undefined : JSON.parse(text);
}

describe('JSON-RPC envelope', () => {
  it('answers a request with its id and result', async () => {
    assert.deepEqual(await call('{"jsonrpc":"2.0","id":7,"method":"echo","params":[1,"a"]}'), { jsonrpc: '2.0', id: 7, result: [1, 'a'] });
    assert.deepEqual(await call('{"jsonrpc":"2.0","id":"x","method":"echo"}'), { jsonrpc: '2.0', id: 'x', result: [] });
  });

  it('reports a parse error with id null (-32700)', async () => {
    const r = (await call('{"jsonrpc":"2.0",')) as { id: null; error: { code: number } };
    assert.equal(r.id, null);
    assert.equal(r.error.code, -32700);
  });

  it('refuses malformed requests (-32600)', async () => {
    for (const body of [
      '42',
      '"x"',
      '{"id":1,"method":"echo"}',
      '{"jsonrpc":"1.0","id":1,"method":"echo"}',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","id":{},"method":"echo"}',
      '[]',
    ]) {
      const r = (await call(body)) as { error: { code: number } };
      assert.equal(r.error.code, -32600, body);
    }
    // The id is echoed when it is valid.
    assert.equal(((await call('{"jsonrpc":"1.0","id":5,"method":"echo"}')) as { id: number }).id, 5);
  });

  it('reports an unknown method (-32601)', async () => {
    const r = (await call('{"jsonrpc":"2.0","id":1,"method":"eth_nothing"}')) as { error: { code: number; message: string } };
    assert.equal(r.error.code, -32601);
    assert.match(r.error.message, /eth_nothing/);
  });

  it('refuses named or excess params (-32602)', async () => {
    assert.equal(((await call('{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}')) as { error: { code: number } }).error.code, -32602);
    assert.equal(((await call('{"jsonrpc":"2.0","id":1,"method":"echo","params":[1,2,3]}')) as { error: { code: number } }).error.code, -32602);
  });

  it('turns handler errors into error objects: RpcError as is, others -32603', async () => {
    const reverted = (await call('{"jsonrpc":"2.0","id":1,"method":"revert"}')) as { error: { code: number; data: string } };
    assert.deepEqual(reverted.error, { code: 3, message: 'execution reverted: no', data: '0x08c379a0' });
    const boom = (await call('{"jsonrpc":"2.0","id":1,"method":"boom"}')) as { error: { code: number; message: string } };
    assert.equal(boom.error.code, -32603);
  });

  it('serialises bigints as decimal strings', async () => {
    assert.deepEqual(await call('{"jsonrpc":"2.0","id":1,"method":"bigint"}'), { jsonrpc: '2.0', id: 1, result: { amount: '100000000000000000000' } });
  });

  it('answers batches in order, skips notifications, bounds the batch length', async () => {
    const r = (await call('[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","id":2,"method":"nope"}]')) as Array<{
      id: number;
    }>;
    assert.deepEqual(
      r.map((x) => x.id),
      [1, 2],
    );
    assert.equal(await call('{"jsonrpc":"2.0","method":"echo"}'), undefined);
    assert.equal(await call('[{"jsonrpc":"2.0","method":"echo"}]'), undefined);
    const big = JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo' })));
    const tooMany = (await call(big, 3)) as { error: { code: number; message: string } };
    assert.equal(tooMany.error.code, -32600);
    assert.match(tooMany.error.message, /limit of 3/);
  });
});

describe('parameter parsing', () => {
  const invalid = (fn: () => unknown): void => {
    assert.throws(fn, (err: unknown) => err instanceof RpcError && err.code === -32602);
  };

  it('quantities', () => {
    assert.equal(parseQuantity('0x0', 'q'), 0n);
    assert.equal(parseQuantity('0x1a', 'q'), 26n);
    assert.equal(parseQuantity('0x01', 'q'), 1n);
    assert.equal(parseQuantity(`0x${'f'.repeat(64)}`, 'q'), 2n ** 256n - 1n);
    for (const bad of ['0x', '1a', 26, null, '0xzz', `0x1${'0'.repeat(64)}`]) invalid(() => parseQuantity(bad, 'q'));
    invalid(() => parseQuantity('0x10000000000000000', 'q', 64));
    assert.equal(quantity(0n), '0x0');
    assert.equal(quantity(255), '0xff');
  });

  it('data, addresses, hashes, slots', () => {
    assert.deepEqual([...parseData('0x0102', 'd')], [1, 2]);
    assert.equal(parseData('0x', 'd').length, 0);
    for (const bad of ['0x1', '0xgg', '', 5]) invalid(() => parseData(bad, 'd'));
    invalid(() => parseData('0x010203', 'd', 2));
    assert.equal(parseAddress('0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266', 'a'), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
    for (const bad of ['0x1234', 'f39fd6e51aad88f6f4ce6ab8827279cfffb92266', null]) invalid(() => parseAddress(bad, 'a'));
    invalid(() => parseHash('0x12', 'h'));
    assert.equal(fixed(parseSlot('0x1', 's'), 32), `0x${'0'.repeat(63)}1`);
  });

  it('call objects', () => {
    const req = parseCallRequest({ from: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', to: '0x0000000000000000000000000000000000001000', input: '0xabcd', value: '0x10' }, 1000);
    assert.equal(req.to, '0x0000000000000000000000000000000000001000');
    assert.deepEqual([...req.data], [0xab, 0xcd]);
    assert.equal(req.value, 16n);
    assert.equal(req.gas, null);
    invalid(() => parseCallRequest('nope', 1000));
    invalid(() => parseCallRequest({ to: '0x0000000000000000000000000000000000001000', data: '0x01', input: '0x02' }, 1000));
    invalid(() => parseCallRequest({ gasPrice: '0x1', maxFeePerGas: '0x1' }, 1000));
    invalid(() => parseCallRequest({ bogus: 1 }, 1000));
    invalid(() => parseCallRequest({ data: '0x0102' }, 1));
  });

  it('log filters', () => {
    const c = parseLogCriteria({ fromBlock: '0x1', toBlock: 'latest', address: ['0x0000000000000000000000000000000000001000'], topics: [null, [`0x${'11'.repeat(32)}`, null]] });
    assert.equal(c.from, 1n);
    assert.equal(c.to, 'latest');
    assert.deepEqual(c.filter.topics, [null, null]);
    assert.equal(parseLogCriteria({ fromBlock: 'earliest' }).from, 1n);
    invalid(() => parseLogCriteria({ blockHash: `0x${'00'.repeat(32)}`, fromBlock: '0x1' }));
    invalid(() => parseLogCriteria({ topics: [null, null, null, null, null] }));
    invalid(() => parseLogCriteria({ address: '0x12' }));
    invalid(() => parseLogCriteria({ fromBlock: 'soon' }));
  });

  it('CheckTx refusals get the messages wallets recognise', () => {
    const low = refusalError(4, 'NonceTooLow: nonce 0 is too low: 0xabc is at nonce 3');
    assert.equal(low.code, -32000);
    assert.equal(low.message, 'nonce too low: nonce 0 is too low: 0xabc is at nonce 3');
    assert.deepEqual(low.data, { code: 4, codespace: 'cmtd', log: 'NonceTooLow: nonce 0 is too low: 0xabc is at nonce 3' });
    assert.match(refusalError(6, 'InsufficientFunds: x').message, /^insufficient funds for gas \* price \+ value: x$/);
    assert.match(refusalError(99, 'weird').message, /code 99/);
  });
});
