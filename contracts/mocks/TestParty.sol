// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// A test double (test/hardhat/unit/), not part of the library: not documented for users.
// solhint-disable use-natspec, no-complex-fallback

/// @title A contract party for tests: forwards calls as itself, refuses CMT
/// unless told to accept it, and on receiving CMT re-enters a target with a
/// list of calls, counting those refused by the reentrancy guard.
contract TestParty {
    /// The selector of OpenZeppelin's ReentrancyGuardReentrantCall().
    bytes4 private constant REENTRANT = bytes4(keccak256("ReentrancyGuardReentrantCall()"));

    bool public accept;
    address public reentryTarget;
    bytes[] private reentryCalls;
    /// Re-entries refused with ReentrancyGuardReentrantCall.
    uint256 public refusedReentries;

    function setAccept(bool accept_) external {
        accept = accept_;
    }

    /// On the next CMT received, each of `calls` is sent to `target` (and the CMT accepted).
    function armReentry(address target, bytes[] calldata calls) external {
        reentryTarget = target;
        delete reentryCalls;
        for (uint256 i = 0; i < calls.length; i++) reentryCalls.push(calls[i]);
    }

    /// Calls `target` with `data` and `msg.value`, bubbling up a revert.
    function forward(address target, bytes calldata data) external payable returns (bytes memory) {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        if (reentryCalls.length == 0) {
            require(accept, "TestParty: no CMT accepted");
            return;
        }
        bytes[] memory calls = reentryCalls;
        delete reentryCalls;
        for (uint256 i = 0; i < calls.length; i++) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = reentryTarget.call(calls[i]);
            if (!ok && ret.length == 4 && bytes4(ret) == REENTRANT) refusedReentries++;
        }
    }
}
