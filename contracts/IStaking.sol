// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.0;

/// @title CyberMiles DPoS staking (cmtd)
/// @notice The staking system contract at 0x0000000000000000000000000000000000001000.
/// The chain executes these calls natively (not in the EVM); this interface is how
/// wallets and contracts encode them. Amounts are wei (1 CMT = 10^18 wei), rates basis
/// points (1 bp = 0.01%). Every call has a fixed gas cost (docs/STAKING.md). A refused
/// call reverts with Error(string) whose text begins with a stable reason code.
interface IStaking {
    /// Candidate state: 0 active, 1 deactivated, 2 withdrawn, 3 removed (slashed out).
    struct Candidate {
        address candidate;
        bytes32 pubKey;
        uint256 maxStake;
        uint16 compRateBp;
        string description;
        bool verified;
        uint8 state;
        uint64 declareHeight;
        uint256 totalStake;
        uint256 selfStake;
        uint256 waitingStake;
        uint256 votingPower;
        uint32 rank;
        uint32 missedBlocks;
        uint64 withdrawMatureTime;
    }

    /// A ranked candidate: ranks 1..max_validators are validators, the next ones backups.
    struct Validator {
        address candidate;
        bytes32 pubKey;
        uint32 rank;
        bool backup;
        uint256 totalStake;
        uint256 votingPower;
        uint64 consensusPower;
        bool verified;
    }

    struct Delegation {
        address candidate;
        address delegator;
        uint256 amount;
        uint16 compRateBp;
        bool self;
        bool withdrawing;
    }

    /// id 0: a delegation waiting out its candidate's withdrawal.
    struct UnstakeRequest {
        uint256 id;
        address candidate;
        address delegator;
        uint256 amount;
        uint64 matureTime;
        uint64 height;
    }

    event CandidacyDeclared(address indexed candidate, bytes32 pubKey, uint256 maxStake, uint16 compRateBp, uint256 selfStake);
    event CandidacyUpdated(address indexed candidate, uint256 maxStake, uint16 compRateBp, uint256 addedSelfStake, bool verifiedCleared);
    event CandidacyWithdrawn(address indexed candidate, uint256 amount, uint64 matureTime);
    event CandidacyDeactivated(address indexed candidate);
    event CandidacyActivated(address indexed candidate);
    event CandidacyVerified(address indexed candidate, bool verified);
    event EnterpriseSet(address indexed account, bool enterprise);
    event Delegated(address indexed delegator, address indexed candidate, uint256 amount, uint16 compRateBp);
    event Unstaked(address indexed delegator, address indexed candidate, uint256 indexed requestId, uint256 amount, uint64 matureTime);
    event CompRateSet(address indexed candidate, address indexed delegator, uint16 compRateBp, uint256 amount);

    /// Declares candidacy; msg.value (>= maxStake * self_stake_ratio) becomes the self-stake.
    /// pubKeySignature: the consensus key's 64-byte ed25519 signature of the UTF-8 text
    /// "cmtd-candidacy:<CometBFT chain id>:<sender address, 0x-lowercase hex>" (proof of possession).
    function declareCandidacy(bytes32 pubKey, bytes calldata pubKeySignature, uint256 maxStake, uint16 compRateBp, string calldata description) external payable;

    /// Updates the candidacy; msg.value tops up the self-stake. An empty description keeps the old one.
    function updateCandidacy(uint256 maxStake, uint16 compRateBp, string calldata description) external payable;

    function withdrawCandidacy() external;

    function deactivateCandidacy() external;

    function activateCandidacy() external;

    /// Foundation only.
    function verifyCandidacy(address candidate, bool verified) external;

    /// Foundation only.
    function setEnterprise(address account, bool enterprise) external;

    function delegate(address candidate) external payable;

    /// Starts the unstake wait for `amount` (0 = all) of the sender's stake at `candidate`.
    function unstake(address candidate, uint256 amount) external returns (uint256 requestId);

    /// Lowers the compensation rate of one delegation to the calling candidate; a rate never rises.
    function setCompRate(address delegator, uint16 compRateBp) external;

    function getCandidate(address candidate) external view returns (Candidate memory);

    function getCandidates() external view returns (Candidate[] memory);

    function getValidators() external view returns (Validator[] memory);

    function getDelegation(address candidate, address delegator) external view returns (Delegation memory);

    function getDelegations(address delegator) external view returns (Delegation[] memory);

    function getUnstakeRequests(address delegator) external view returns (UnstakeRequest[] memory);

    function isEnterprise(address account) external view returns (bool);
}
