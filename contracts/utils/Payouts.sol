// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Payments in CMT or an ERC-20, pushed with a pull fallback
/// @notice Shared by the business contracts: money is either CMT (the
/// chain's native coin, `token == address(0)`) or an ERC-20 token. Payments
/// out are pushed to the recipient; if the push fails (a contract that
/// rejects CMT, a token that refuses the transfer) the amount is kept for the
/// recipient to `withdraw`, so no party can block another's payment.
/// @dev State lives in an ERC-7201 namespaced slot so that inheriting
/// contracts keep their own storage layout from slot 0.
abstract contract Payouts is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The token address that stands for CMT.
    address public constant CMT = address(0);

    /// @custom:storage-location erc7201:cmtd.storage.Payouts
    struct PayoutsStorage {
        /// Amounts that could not be pushed, by token and recipient.
        mapping(address token => mapping(address recipient => uint256)) owed;
    }

    // keccak256(abi.encode(uint256(keccak256("cmtd.storage.Payouts")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant PAYOUTS_STORAGE = 0x8987fdc04601e8175f46b0b8529bd1088c710ffa335bfda00e6a9bcb53fb1b00;

    /// @notice A payment to `recipient` could not be pushed and waits for `withdraw`.
    event PaymentDeferred(address indexed token, address indexed recipient, uint256 amount);
    /// @notice `recipient` collected its deferred payments in `token`.
    event Withdrawn(address indexed token, address indexed recipient, uint256 amount);

    /// @notice What `recipient` can collect with `withdraw(token)`.
    function pendingWithdrawal(address token, address recipient) external view returns (uint256) {
        return _payoutsStorage().owed[token][recipient];
    }

    /// @notice Collects the caller's deferred payments in `token` (address(0) for CMT).
    function withdraw(address token) external nonReentrant {
        mapping(address => uint256) storage owed = _payoutsStorage().owed[token];
        uint256 amount = owed[msg.sender];
        require(amount > 0, "Payouts: nothing to withdraw");
        owed[msg.sender] = 0;
        emit Withdrawn(token, msg.sender, amount);
        if (token == CMT) {
            (bool ok, ) = msg.sender.call{value: amount}("");
            require(ok, "Payouts: CMT transfer failed");
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    /// @dev Takes `amount` of `token` from `from` into this contract: the
    /// attached CMT must be exactly `amount`; a token payment must come with
    /// no CMT and must arrive in full (fee-on-transfer tokens are refused).
    function _receive(address token, address from, uint256 amount) internal {
        if (token == CMT) {
            require(msg.value == amount, "Payouts: CMT sent differs from the amount");
            return;
        }
        require(msg.value == 0, "Payouts: CMT sent with a token payment");
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        require(IERC20(token).balanceOf(address(this)) - before == amount, "Payouts: token delivered less than sent");
    }

    /// @dev Pushes `amount` of `token` to `to`, or keeps it for `withdraw` if the push fails.
    function _pay(address token, address to, uint256 amount) internal {
        if (amount == 0) return;
        bool ok;
        if (token == CMT) {
            // solhint-disable-next-line avoid-low-level-calls
            (ok, ) = to.call{value: amount}("");
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            _payoutsStorage().owed[token][to] += amount;
            emit PaymentDeferred(token, to, amount);
        }
    }

    function _payoutsStorage() private pure returns (PayoutsStorage storage $) {
        // solhint-disable-next-line no-inline-assembly
        assembly {
            $.slot := PAYOUTS_STORAGE
        }
    }
}
