/**
 * Compiles Solidity with solc's own default settings (no `evmVersion`), as a
 * developer who never sets one would: solc ≥ 0.8.31 targets osaka.
 */
import { createRequire } from 'node:module';
import type { JsonFragment } from 'ethers';

const require = createRequire(import.meta.url);

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts: Record<string, Record<string, { abi: JsonFragment[]; metadata: string; evm: { bytecode: { object: string } } }>>;
}

export interface DefaultTargetContract {
  abi: JsonFragment[];
  bytecode: string;
  /** The evmVersion solc chose. */
  evmVersion: string;
}

export function compileForDefaultTarget(source: string, name: string): DefaultTargetContract {
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { [`${name}.sol`]: { content: source } },
    settings: { outputSelection: { '*': { '*': ['abi', 'metadata', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const contract = output.contracts[`${name}.sol`]![name]!;
  const evmVersion = (JSON.parse(contract.metadata) as { settings: { evmVersion: string } }).settings.evmVersion;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}`, evmVersion };
}
