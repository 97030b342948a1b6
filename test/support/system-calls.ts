/**
 * Contracts that call the system addresses from the EVM (SPEC 6 "From
 * contracts"), for the in-process, JSON-RPC and fuzz tests of
 * src/evm/system-calls.ts. They use low-level calls with
 * abi.encodeWithSignature, so they do not depend on IStaking.sol.
 */
import { compileSolidity, type CompiledContract } from './contracts.js';

export const STAKING_POOL_SOURCE = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// A staking pool: stakes and unstakes its own CMT at a candidate, some of
/// it in frames that revert (which must leave nothing behind).
contract StakingPool {
    address constant STAKING = 0x0000000000000000000000000000000000001000;
    address constant GOVERNANCE = 0x0000000000000000000000000000000000001001;

    uint256 public seenAmount;
    uint256 public stakingCodeSize;
    bool public refusalsHeld;

    constructor() payable {}
    receive() external payable {}

    function _staking(bytes memory data, uint256 value) internal returns (bytes memory) {
        (bool ok, bytes memory ret) = STAKING.call{value: value}(data);
        if (!ok) assembly { revert(add(ret, 32), mload(ret)) }
        return ret;
    }

    function stake(address c, uint256 amount) public {
        _staking(abi.encodeWithSignature("delegate(address)", c), amount);
    }

    function unstake(address c, uint256 amount) public {
        _staking(abi.encodeWithSignature("unstake(address,uint256)", c, amount), 0);
    }

    /// Stakes, then reverts.
    function stakeThenRevert(address c, uint256 amount) external {
        stake(c, amount);
        revert("undo");
    }

    /// Stakes here and unstakes in a nested frame that succeeds, then reverts this frame.
    function deepThenRevert(address c, uint256 a, uint256 b) external {
        stake(c, a);
        this.unstakeKept(c, b);
        revert("undo deep");
    }

    function unstakeKept(address c, uint256 amount) external {
        unstake(c, amount);
    }

    /// Three frames deep: the innermost stake survives its own frame and the
    /// middle one, and is undone when the outermost catches a revert above it.
    function level1(address c, uint256 a) external {
        try this.level2(c, a) { revert("level2 must revert"); } catch {}
    }

    function level2(address c, uint256 a) external {
        this.level3(c, a);
        revert("undo level2");
    }

    function level3(address c, uint256 a) external {
        stake(c, a);
    }

    /// Every refused way of reaching a system address; none may move CMT.
    function refusals(address c) public {
        bool ok;
        (ok, ) = STAKING.call{value: 1 ether}(hex"deadbeef");
        require(!ok, "garbage calldata accepted");
        (ok, ) = STAKING.call{value: 1 ether}("");
        require(!ok, "plain transfer accepted");
        (ok, ) = GOVERNANCE.call{value: 1 ether}("");
        require(!ok, "plain transfer to governance accepted");
        (ok, ) = STAKING.delegatecall(abi.encodeWithSignature("delegate(address)", c));
        require(!ok, "DELEGATECALL accepted");
        bytes memory data = abi.encodeWithSignature("delegate(address)", c);
        address target = STAKING;
        assembly { ok := callcode(gas(), target, 1000000000000000000, add(data, 32), mload(data), 0, 0) }
        require(!ok, "CALLCODE accepted");
        (ok, ) = STAKING.staticcall(abi.encodeWithSignature("delegate(address)", c));
        require(!ok, "state change in STATICCALL accepted");
        (ok, ) = STAKING.call{value: 1 ether}(abi.encodeWithSignature("unstake(address,uint256)", c, 1));
        require(!ok, "value sent to a non-payable function accepted");
        (ok, ) = STAKING.call{gas: 1000}(abi.encodeWithSignature("delegate(address)", c));
        require(!ok, "call below the fixed gas cost accepted");
        refusalsHeld = true;
    }

    /// Reads the pool's stake with a STATICCALL view (getDelegation's amount, third word).
    function look(address c) public {
        (bool ok, bytes memory ret) = STAKING.staticcall(abi.encodeWithSignature("getDelegation(address,address)", c, address(this)));
        require(ok, "view refused");
        uint256 amount;
        assembly { amount := mload(add(ret, 96)) }
        seenAmount = amount;
        stakingCodeSize = STAKING.code.length;
    }

    /// The scenario the acceptance test replays from an EOA: delegate 3000, unstake 1000, delegate 1500.
    function scenario(address c) external {
        stake(c, 3000 ether);
        try this.stakeThenRevert(c, 500 ether) { revert("stakeThenRevert must revert"); } catch {}
        unstake(c, 1000 ether);
        try this.deepThenRevert(c, 700 ether, 200 ether) { revert("deepThenRevert must revert"); } catch {}
        this.level1(c, 900 ether);
        refusals(c);
        stake(c, 1500 ether);
        look(c);
    }

    /// Fails unless the last look saw \`amount\` staked, EXTCODESIZE(staking) was 1 and every refusal held.
    function check(uint256 amount) external view {
        require(seenAmount == amount, "STATICCALL view saw another amount");
        require(stakingCodeSize == 1, "EXTCODESIZE of the staking address is not 1");
        require(refusalsHeld, "refusals did not run");
    }

    function die(address payable to) external {
        selfdestruct(to);
    }
}

/// Created with value and self-destructed in the same transaction, to a system address.
contract Burner {
    constructor(address payable to) payable {
        selfdestruct(to);
    }
}

/// Calls anything with anything (fuzz target): forwards value and calldata, records success.
contract Relay {
    bool public lastOk;
    constructor() payable {}
    receive() external payable {}
    function relay(address to, uint256 value, bytes calldata data, uint8 kind) external payable {
        bool ok;
        if (kind == 0) (ok, ) = to.call{value: value}(data);
        else if (kind == 1) (ok, ) = to.staticcall(data);
        else if (kind == 2) (ok, ) = to.delegatecall(data);
        else {
            bytes memory d = data;
            assembly { ok := callcode(gas(), to, value, add(d, 32), mload(d), 0, 0) }
        }
        lastOk = ok;
    }
    function relayThenRevert(address to, uint256 value, bytes calldata data) external payable {
        (bool ok, ) = to.call{value: value}(data);
        lastOk = ok;
        revert("relay undone");
    }
}
`;

const compiled = new Map<string, CompiledContract>();

/** StakingPool, Burner or Relay, compiled once per process with solc-js. */
export function systemCallContract(name: 'StakingPool' | 'Burner' | 'Relay'): CompiledContract {
  let c = compiled.get(name);
  if (c === undefined) {
    c = compileSolidity(STAKING_POOL_SOURCE, name);
    compiled.set(name, c);
  }
  return c;
}
