// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {Payouts} from "./utils/Payouts.sol";

/// @title An insurance pool selling cover for a period (a shipment, an order) against premiums
/// @notice Depositors fund the pool (in CMT or the pool's ERC-20) and receive
/// shares. Anyone buys cover of an amount for a period up to `maxCoverPeriod`
/// at `premiumBps` of the amount; the pool's solvency rule is enforced at
/// every sale and withdrawal: active cover ≤ pool funds × `solvencyRatioBps`
/// / 10,000 (the ratio is at most 100 %, so every claim can be paid). While
/// the cover runs its holder may file one claim; `approvalsRequired`
/// assessors (m of the n accounts with ASSESSOR_ROLE) must approve it within
/// `claimWindow` seconds of filing, and the last approval pays it out of the
/// pool. A cover that ends without a paid claim expires (`expireCover`, by
/// anyone): its premium joins the pool funds, so it goes to the depositors
/// pro rata to their shares, as a paid claim's loss does. Premiums of
/// running covers are held apart and count for no one until then. Every
/// refusal reverts with an "Insurance: ..." reason.
/// @dev Pool funds are book-kept, not read from the balance, so a transfer
/// straight to the contract changes no share's value.
contract InsurancePlan is AccessControlEnumerable, Payouts {
    /// @notice The role of the accounts that approve claims.
    bytes32 public constant ASSESSOR_ROLE = keccak256("ASSESSOR_ROLE");
    uint256 private constant BPS = 10_000;

    enum CoverStatus {
        None,
        Active,
        Claimed,
        Paid,
        Expired
    }

    struct Cover {
        address holder;
        uint256 amount;
        uint256 premium;
        uint64 start;
        uint64 end;
        CoverStatus status;
        /// The holder's reference (e.g. a hash of the order or shipment).
        bytes32 ref;
        /// The pending claim: its amount, its approval deadline and its approvals so far.
        uint256 claimAmount;
        uint64 claimDeadline;
        uint32 approvals;
    }

    /// @notice The pool's currency; address(0) is CMT.
    address public immutable token;
    /// @notice Active cover may be at most pool funds × solvencyRatioBps / 10,000.
    uint256 public immutable solvencyRatioBps;
    /// @notice Seconds the assessors have to approve a claim once it is filed.
    uint64 public immutable claimWindow;
    /// @notice The longest period one cover may run.
    uint64 public immutable maxCoverPeriod;
    /// @notice The premium as a share of the cover amount, in basis points (rounded up).
    uint256 public premiumBps;
    /// @notice Approvals a claim needs (m of the n assessors).
    uint32 public approvalsRequired;

    /// @notice Funds that belong to the depositors (deposits + earned premiums − withdrawals − paid claims).
    uint256 public poolFunds;
    /// @notice All depositors' shares.
    uint256 public totalShares;
    /// @notice Each depositor's shares.
    mapping(address depositor => uint256) public sharesOf;
    /// @notice The total amount of the covers that are running (Active or Claimed).
    uint256 public activeCover;
    /// @notice Premiums of running covers, not yet earned by the pool.
    uint256 public heldPremiums;

    /// @notice Covers by id; ids start at 1.
    mapping(uint256 => Cover) public covers;
    /// @notice How many covers were sold (the last id).
    uint256 public coverCount;
    /// @notice Which assessors approved the pending claim of a cover.
    mapping(uint256 coverId => mapping(address assessor => bool)) public approvedBy;

    /// @notice `depositor` added `amount` to the pool for `shares`.
    event Deposited(address indexed depositor, uint256 amount, uint256 shares);
    /// @notice `depositor` redeemed `shares` for `amount`.
    event Redeemed(address indexed depositor, uint256 shares, uint256 amount);
    /// @notice `holder` bought cover `id` of `amount` from `start` to `end` for `premium`.
    event CoverBought(
        uint256 indexed id,
        address indexed holder,
        uint256 amount,
        uint256 premium,
        uint64 start,
        uint64 end,
        bytes32 ref
    );
    /// @notice The holder of cover `id` claimed `amount`; assessors may approve until `deadline`.
    event ClaimFiled(uint256 indexed id, uint256 amount, uint64 deadline, string evidence);
    /// @notice `assessor` approved the claim on cover `id` (`approvals` so far).
    event ClaimApproved(uint256 indexed id, address indexed assessor, uint32 approvals);
    /// @notice The claim on cover `id` reached the approvals required and `amount` was paid to `holder`.
    event ClaimPaid(uint256 indexed id, address indexed holder, uint256 amount);
    /// @notice The claim on cover `id` did not get its approvals within the window.
    event ClaimLapsed(uint256 indexed id);
    /// @notice Cover `id` ended without a paid claim; its premium joined the pool funds.
    event CoverExpired(uint256 indexed id, uint256 premiumToPool);
    /// @notice The premium rate for new covers is now `premiumBps`.
    event PremiumChanged(uint256 premiumBps);
    /// @notice A claim now needs `approvalsRequired` approvals.
    event ApprovalsRequiredChanged(uint32 approvalsRequired);

    /// @notice Opens an empty pool; the deployer chooses its currency, admin, assessors and rules.
    /// @param token_ the pool's currency, address(0) for CMT
    /// @param admin holds DEFAULT_ADMIN_ROLE: grants ASSESSOR_ROLE, sets the premium and m
    /// @param assessors the first assessors (at least one); one approval is required until the admin raises it
    /// @param solvencyRatioBps_ the solvency ratio in basis points (1 … 10,000)
    /// @param premiumBps_ the premium in basis points of the cover amount
    /// @param claimWindow_ seconds the assessors have to approve a claim
    /// @param maxCoverPeriod_ the longest cover period in seconds
    constructor(
        address token_,
        address admin,
        address[] memory assessors,
        uint256 solvencyRatioBps_,
        uint256 premiumBps_,
        uint64 claimWindow_,
        uint64 maxCoverPeriod_
    ) {
        require(solvencyRatioBps_ > 0 && solvencyRatioBps_ <= BPS, "Insurance: solvency ratio must be 1 to 10000 bps");
        require(assessors.length > 0, "Insurance: at least one assessor");
        require(claimWindow_ > 0 && maxCoverPeriod_ > 0, "Insurance: windows must be positive");
        token = token_;
        solvencyRatioBps = solvencyRatioBps_;
        claimWindow = claimWindow_;
        maxCoverPeriod = maxCoverPeriod_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        for (uint256 i = 0; i < assessors.length; i++) _grantRole(ASSESSOR_ROLE, assessors[i]);
        _setPremium(premiumBps_);
        _setApprovalsRequired(1);
    }

    // ---- depositors

    /// @notice Adds `amount` to the pool (CMT in msg.value, or the ERC-20 approved
    /// to this contract) for shares at the current share value.
    /// @return shares the shares issued
    function deposit(uint256 amount) external payable nonReentrant returns (uint256 shares) {
        require(amount > 0, "Insurance: amount must be positive");
        // Pool funds stay positive while shares exist: a claim leaves at least
        // its premium (≥ 1), a redemption at least the other shares' part.
        shares = totalShares == 0 ? amount : (amount * totalShares) / poolFunds;
        require(shares > 0, "Insurance: amount buys no share");
        poolFunds += amount;
        totalShares += shares;
        sharesOf[msg.sender] += shares;
        emit Deposited(msg.sender, amount, shares);
        _receive(token, msg.sender, amount);
    }

    /// @notice Redeems `shares` for their part of the pool funds, if the pool stays solvent.
    /// @return amount what was paid out
    function redeem(uint256 shares) external nonReentrant returns (uint256 amount) {
        require(shares > 0 && shares <= sharesOf[msg.sender], "Insurance: shares must be between 0 and the caller's");
        amount = previewRedeem(shares);
        sharesOf[msg.sender] -= shares;
        totalShares -= shares;
        poolFunds -= amount;
        require(_solvent(0), "Insurance: withdrawal would break the solvency rule");
        emit Redeemed(msg.sender, shares, amount);
        _pay(token, msg.sender, amount);
    }

    /// @notice What `shares` are worth now.
    function previewRedeem(uint256 shares) public view returns (uint256) {
        return (shares * poolFunds) / totalShares;
    }

    // ---- cover

    /// @notice The premium of a cover of `amount`.
    function quote(uint256 amount) public view returns (uint256) {
        return (amount * premiumBps + BPS - 1) / BPS;
    }

    /// @notice Buys cover of `amount` from now for `period` seconds, paying the
    /// premium (`quote(amount)`: CMT in msg.value, or the ERC-20 approved to this contract).
    /// @return id the cover's id
    function buyCover(uint256 amount, uint64 period, bytes32 ref) external payable nonReentrant returns (uint256 id) {
        require(amount > 0, "Insurance: amount must be positive");
        require(period > 0 && period <= maxCoverPeriod, "Insurance: period must be between 0 and maxCoverPeriod");
        require(_solvent(amount), "Insurance: cover exceeds the pool's capacity");
        uint256 premium = quote(amount);
        id = ++coverCount;
        uint64 start = uint64(block.timestamp);
        covers[id] = Cover({
            holder: msg.sender,
            amount: amount,
            premium: premium,
            start: start,
            end: start + period,
            status: CoverStatus.Active,
            ref: ref,
            claimAmount: 0,
            claimDeadline: 0,
            approvals: 0
        });
        activeCover += amount;
        heldPremiums += premium;
        emit CoverBought(id, msg.sender, amount, premium, start, start + period, ref);
        _receive(token, msg.sender, premium);
    }

    /// @notice The holder files a claim of up to the cover amount while the cover runs.
    function fileClaim(uint256 id, uint256 amount, string calldata evidence) external {
        Cover storage c = covers[id];
        require(c.status == CoverStatus.Active, "Insurance: cover is not active");
        require(msg.sender == c.holder, "Insurance: only the holder can claim");
        require(block.timestamp <= c.end, "Insurance: cover has ended");
        require(amount > 0 && amount <= c.amount, "Insurance: claim must be between 0 and the cover amount");
        c.status = CoverStatus.Claimed;
        c.claimAmount = amount;
        c.claimDeadline = uint64(block.timestamp) + claimWindow;
        emit ClaimFiled(id, amount, c.claimDeadline, evidence);
    }

    /// @notice An assessor approves a pending claim within its window; the
    /// `approvalsRequired`-th approval pays the claim out of the pool.
    function approveClaim(uint256 id) external nonReentrant onlyRole(ASSESSOR_ROLE) {
        Cover storage c = covers[id];
        require(c.status == CoverStatus.Claimed, "Insurance: no pending claim");
        require(block.timestamp <= c.claimDeadline, "Insurance: claim window has passed");
        require(msg.sender != c.holder, "Insurance: an assessor cannot approve a claim of their own");
        require(!approvedBy[id][msg.sender], "Insurance: already approved");
        approvedBy[id][msg.sender] = true;
        c.approvals += 1;
        emit ClaimApproved(id, msg.sender, c.approvals);
        if (c.approvals < approvalsRequired) return;
        c.status = CoverStatus.Paid;
        activeCover -= c.amount;
        heldPremiums -= c.premium;
        // The pool earns the premium and pays the claim.
        poolFunds = poolFunds + c.premium - c.claimAmount;
        emit ClaimPaid(id, c.holder, c.claimAmount);
        _pay(token, c.holder, c.claimAmount);
    }

    /// @notice Anyone closes a cover that ended without a paid claim (a pending claim
    /// must have outlived its window): its premium goes to the depositors.
    function expireCover(uint256 id) external {
        Cover storage c = covers[id];
        require(c.status == CoverStatus.Active || c.status == CoverStatus.Claimed, "Insurance: cover is not running");
        require(block.timestamp > c.end, "Insurance: cover has not ended");
        if (c.status == CoverStatus.Claimed) {
            require(block.timestamp > c.claimDeadline, "Insurance: claim still open");
            emit ClaimLapsed(id);
        }
        c.status = CoverStatus.Expired;
        activeCover -= c.amount;
        heldPremiums -= c.premium;
        poolFunds += c.premium;
        emit CoverExpired(id, c.premium);
    }

    /// @notice The largest cover the pool can sell now.
    function capacity() external view returns (uint256) {
        uint256 limit = (poolFunds * solvencyRatioBps) / BPS;
        return limit > activeCover ? limit - activeCover : 0;
    }

    // ---- administration

    /// @notice The admin sets the premium rate for new covers.
    function setPremium(uint256 premiumBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPremium(premiumBps_);
    }

    /// @notice The admin sets m, the approvals a claim needs (1 … number of assessors).
    function setApprovalsRequired(uint32 m) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setApprovalsRequired(m);
    }

    /// @dev An assessor may leave only while enough remain to approve a claim.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        require(
            role != ASSESSOR_ROLE || getRoleMemberCount(ASSESSOR_ROLE) >= approvalsRequired,
            "Insurance: fewer assessors than approvals required"
        );
    }

    function _setPremium(uint256 premiumBps_) private {
        require(premiumBps_ > 0 && premiumBps_ <= BPS, "Insurance: premium must be 1 to 10000 bps");
        premiumBps = premiumBps_;
        emit PremiumChanged(premiumBps_);
    }

    function _setApprovalsRequired(uint32 m) private {
        require(m > 0 && m <= getRoleMemberCount(ASSESSOR_ROLE), "Insurance: approvals must be 1 to the number of assessors");
        approvalsRequired = m;
        emit ApprovalsRequiredChanged(m);
    }

    /// @dev Whether `extra` more cover keeps active cover ≤ pool funds × ratio.
    function _solvent(uint256 extra) private view returns (bool) {
        return (activeCover + extra) * BPS <= poolFunds * solvencyRatioBps;
    }
}
