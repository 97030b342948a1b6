// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Loyalty points of a merchant (ERC-20)
/// @notice The merchant (owner) mints points to customers, e.g. for each
/// purchase; customers hold and transfer them like any ERC-20 token and
/// redeem them (burn) for rewards. Points are whole units (0 decimals).
contract LoyaltyToken is ERC20, ERC20Burnable, Ownable {
    /// @notice A customer redeemed points; `rewardRef` identifies the reward or order.
    event Redeemed(address indexed customer, uint256 amount, bytes32 indexed rewardRef);

    constructor(string memory name_, string memory symbol_, address merchant)
        ERC20(name_, symbol_)
        Ownable(merchant)
    {}

    /// @notice Points are whole numbers: no decimals.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /// @notice Mints `amount` points to `customer`. Merchant only.
    function mint(address customer, uint256 amount) external onlyOwner {
        _mint(customer, amount);
    }

    /// @notice Burns `amount` of the caller's points for a reward.
    function redeem(uint256 amount, bytes32 rewardRef) external {
        _burn(msg.sender, amount);
        emit Redeemed(msg.sender, amount, rewardRef);
    }
}
