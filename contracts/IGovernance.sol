// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.0;

/// @title cmtd on-chain governance (SPEC section 8)
/// @notice Native system contract at 0x0000000000000000000000000000000000001001.
/// Calls are ordinary signed Ethereum transactions to that address; the node
/// executes them natively (not in the EVM). Every function is non-payable.
/// Only current validators may propose and vote. Votes are weighted by the
/// voter's voting power V_i at tally time; a proposal passes as soon as
/// yes >= 2/3 of the validators' total power, fails as soon as no > 1/3, and
/// expires proposal_period_s seconds (block header time) after it was made.
/// See docs/GOVERNANCE.md for gas costs and the exact tally timing.
interface IGovernance {
    enum ProposalKind {
        ParamChange,
        TransferFund
    }

    enum ProposalStatus {
        Open,
        Passed,
        Failed,
        Expired
    }

    struct Proposal {
        uint256 id;
        ProposalKind kind;
        ProposalStatus status;
        address proposer;
        uint64 createdHeight;
        uint64 createdTime;
        uint64 expiresAt;
        /// Height at which the proposal was closed; 0 while open.
        uint64 closedHeight;
        string reason;
        /// ParamChange only ("" otherwise).
        string paramName;
        string paramValue;
        /// TransferFund only (zero otherwise).
        address from;
        address to;
        uint256 amount;
        /// Live tally (current powers) while open; the final tally once closed.
        uint256 yesPower;
        uint256 noPower;
        uint256 totalPower;
        /// Why a closed proposal ended as it did ("" while open).
        string outcome;
    }

    /// Any proposal was created (followed by ParamChangeProposed or TransferFundProposed).
    event ProposalCreated(uint256 indexed id, address indexed proposer, ProposalKind kind, uint64 expiresAt);
    event ParamChangeProposed(uint256 indexed id, string name, string value, string reason);
    /// `amount` has been taken from `from` and is held by governance until the proposal closes.
    event TransferFundProposed(uint256 indexed id, address indexed from, address indexed to, uint256 amount, string reason);
    event Voted(uint256 indexed id, address indexed voter, bool yes);
    event ProposalPassed(uint256 indexed id, uint256 yesPower, uint256 noPower, uint256 totalPower);
    event ProposalFailed(uint256 indexed id, uint256 yesPower, uint256 noPower, uint256 totalPower, string reason);
    event ProposalExpired(uint256 indexed id, uint256 yesPower, uint256 noPower, uint256 totalPower);
    event ParamChanged(uint256 indexed id, string name, string value);
    /// A passed transfer-fund proposal paid the held amount to `to`.
    event FundTransferred(uint256 indexed id, address indexed from, address indexed to, uint256 amount);
    /// A failed or expired transfer-fund proposal returned the held amount to `from`.
    event FundReturned(uint256 indexed id, address indexed from, uint256 amount);

    /// Proposes changing a parameter that is not fixed; `value` in its decimal / "true" / "false" form.
    function proposeParamChange(string calldata name, string calldata value, string calldata reason)
        external
        returns (uint256 proposalId);

    /// Proposes moving `amount` from `from` to `to`; the amount is held from `from` at once.
    function proposeTransferFund(address from, address to, uint256 amount, string calldata reason)
        external
        returns (uint256 proposalId);

    /// Casts or changes the caller's vote.
    function vote(uint256 proposalId, bool yes) external;

    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// Number of proposals ever made; ids run from 1 to proposalCount().
    function proposalCount() external view returns (uint256);

    /// Ids of the proposals still open, ascending.
    function openProposals() external view returns (uint256[] memory);

    /// Recorded votes of a proposal, voters in ascending address order.
    function getVotes(uint256 proposalId) external view returns (address[] memory voters, bool[] memory yes);

    /// Total CMT (wei) held by open transfer-fund proposals.
    function heldTotal() external view returns (uint256);
}
