// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// A test double (test/hardhat/unit/), not part of the library: not documented for users.
// solhint-disable use-natspec, no-complex-fallback

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title An ERC-20 for tests: anyone mints; it can take a fee on transfers
/// and refuse transfers to blocked accounts, like some real tokens do.
contract MockToken is ERC20 {
    uint256 public feeBps;
    mapping(address => bool) public blocked;

    constructor() ERC20("Mock", "MOCK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[to], "MockToken: recipient blocked");
        uint256 fee = (from == address(0) || to == address(0)) ? 0 : (value * feeBps) / 10_000;
        if (fee > 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
