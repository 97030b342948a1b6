/**
 * The governance ABI (contracts/abi/IGovernance.json, compiled from
 * contracts/IGovernance.sol), and as an ethers Interface for clients (CLI,
 * tests) that encode calls and parse logs.
 */
import { Interface, type InterfaceAbi } from 'ethers';
import abiJson from '../../contracts/abi/IGovernance.json' with { type: 'json' };

export const GOVERNANCE_ABI: InterfaceAbi = abiJson as InterfaceAbi;
export const governanceInterface = new Interface(GOVERNANCE_ABI);
