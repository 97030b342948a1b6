// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title A party for tests that refuses CMT sent to it (unless told to
/// accept) and forwards calls, to exercise deferred payments.
contract Rejector {
    bool public accept;

    function setAccept(bool accept_) external {
        accept = accept_;
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
        require(accept, "Rejector: no CMT accepted");
    }
}
