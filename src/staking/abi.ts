/**
 * The staking contract ABI: the solc output of contracts/IStaking.sol, shipped
 * as contracts/abi/IStaking.json (test/unit/staking-abi.test.ts checks that
 * the two agree).
 */
import type { InterfaceAbi } from 'ethers';
import abiJson from '../../contracts/abi/IStaking.json' with { type: 'json' };

export const STAKING_ABI: InterfaceAbi = abiJson;
