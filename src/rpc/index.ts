/** The Ethereum JSON-RPC gateway (docs/RPC.md). */
export { startRpcGateway, type RpcGateway, type RpcGatewayOptions } from './gateway.js';
export { DEFAULT_RPC_LIMITS, type RpcLimits } from './eth.js';
export { RpcCode, RpcError } from './errors.js';
