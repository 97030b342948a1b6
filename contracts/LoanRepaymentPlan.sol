// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Payouts} from "./utils/Payouts.sol";

/// @title Loans repaid in instalments, in CMT or an ERC-20, with optional collateral
/// @notice One contract holds any number of loans. A lender offers a loan to
/// a named borrower and funds it up front (`offerLoan`); the borrower accepts
/// it, posting the collateral if the terms ask for any, and receives the
/// principal (`acceptLoan`). The schedule starts then: instalment i (1 … count)
/// of `instalment` is due at start + i × period. Anyone can read what is due
/// and overdue (`position`, `outstanding`). Each instalment still
/// unpaid after its due time is charged `lateFee` once. Payments (`repay`, by
/// anyone) go to late fees first, then to instalments in order, and may pay
/// ahead (early repayment) up to everything outstanding; each is passed on
/// to the lender. When everything is paid the loan closes and the collateral
/// returns to the borrower. If an instalment is still unpaid when its grace
/// period has passed, the loan is in default and the lender claims the
/// collateral (`claimCollateral`). Every refusal reverts with a "Loan: ..."
/// reason.
/// @dev Amounts are kept per loan; payments out are pushed with a pull
/// fallback (see {Payouts}).
contract LoanRepaymentPlan is Payouts {
    enum Status {
        None,
        Offered,
        Active,
        Repaid,
        Defaulted,
        Cancelled
    }

    /// The terms a lender offers.
    struct Terms {
        address borrower;
        /// The loan's currency; address(0) is CMT.
        address token;
        uint256 principal;
        /// The amount of each instalment (principal and interest together).
        uint256 instalment;
        /// Number of instalments.
        uint32 count;
        /// Seconds between instalments; the first is due one period after the start.
        uint64 period;
        /// Seconds after a due date before an unpaid instalment is a default.
        uint64 gracePeriod;
        /// Charged once for each instalment not paid by its due date.
        uint256 lateFee;
        /// The collateral's currency; address(0) is CMT. Ignored when collateralAmount is 0.
        address collateralToken;
        uint256 collateralAmount;
    }

    struct Loan {
        address lender;
        Terms terms;
        Status status;
        /// When the borrower accepted (the schedule's origin).
        uint64 start;
        /// Paid towards instalments so far.
        uint256 paid;
        /// Late fees charged and not yet paid.
        uint256 feesOwed;
        /// Instalments 1 … lateCharged have been checked for a late fee.
        uint32 lateCharged;
    }

    /// A loan's position at one moment, for `position`.
    struct Position {
        Status status;
        /// Instalments whose due time has come (≤ now).
        uint32 instalmentsDue;
        /// Instalments paid in full.
        uint32 instalmentsPaid;
        /// The next unpaid instalment's due time.
        uint64 nextDueTime;
        /// Instalments due and unpaid, plus late fees: pay this to be up to date.
        uint256 dueNow;
        /// The part of dueNow that is past its due time, late fees included.
        uint256 overdue;
        /// Everything left to pay to close the loan.
        uint256 outstanding;
        /// Late fees charged or chargeable now and unpaid.
        uint256 feesOwed;
        /// Whether the lender can claim the collateral now.
        bool inDefault;
    }

    /// @notice Loans by id; ids start at 1.
    mapping(uint256 => Loan) private loans;
    /// @notice How many loans were offered (the last id).
    uint256 public loanCount;

    /// @notice A lender offered loan `id` to `borrower` on `terms` and funded it.
    event LoanOffered(uint256 indexed id, address indexed lender, address indexed borrower, Terms terms);
    /// @notice The lender withdrew offer `id`; the principal went back.
    event LoanCancelled(uint256 indexed id);
    /// @notice The borrower accepted loan `id`: collateral posted, principal paid out, schedule from `start`.
    event LoanStarted(uint256 indexed id, uint64 start, uint64 firstDue);
    /// @notice Late fees for `instalments` instalments past their due time were added to what is owed.
    event LateFeeCharged(uint256 indexed id, uint32 instalments, uint256 fee);
    /// @notice `payer` paid `amount` on loan `id`: `toFees` to late fees, the rest to instalments (`totalPaid` so far).
    event Repaid(uint256 indexed id, address indexed payer, uint256 amount, uint256 toFees, uint256 totalPaid);
    /// @notice Loan `id` is fully repaid; the collateral went back to the borrower.
    event LoanClosed(uint256 indexed id, uint256 collateralReturned);
    /// @notice Loan `id` defaulted after `instalmentsPaid` instalments; the lender took the collateral.
    event LoanDefaulted(uint256 indexed id, uint32 instalmentsPaid, uint256 collateralClaimed);

    /// @notice Offers a loan on `terms` and funds it: CMT in msg.value, or the
    /// principal in the ERC-20 (approved to this contract).
    /// @return id the new loan's id
    function offerLoan(Terms calldata terms) external payable nonReentrant returns (uint256 id) {
        require(terms.borrower != address(0) && terms.borrower != msg.sender, "Loan: borrower must be another account");
        require(terms.principal > 0, "Loan: principal must be positive");
        require(terms.instalment > 0 && terms.count > 0 && terms.period > 0, "Loan: empty schedule");
        require(terms.instalment * terms.count >= terms.principal, "Loan: instalments repay less than the principal");
        require(terms.collateralAmount > 0 || terms.collateralToken == CMT, "Loan: collateral token without an amount");
        id = ++loanCount;
        Loan storage ln = loans[id];
        ln.lender = msg.sender;
        ln.terms = terms;
        ln.status = Status.Offered;
        emit LoanOffered(id, msg.sender, terms.borrower, terms);
        _receive(terms.token, msg.sender, terms.principal);
    }

    /// @notice The lender withdraws an offer the borrower has not accepted; the principal returns.
    function cancelOffer(uint256 id) external nonReentrant {
        Loan storage ln = loans[id];
        require(ln.status == Status.Offered, "Loan: not an open offer");
        require(msg.sender == ln.lender, "Loan: only the lender can cancel");
        ln.status = Status.Cancelled;
        emit LoanCancelled(id);
        _pay(ln.terms.token, ln.lender, ln.terms.principal);
    }

    /// @notice The borrower accepts the offer: posts the collateral (CMT in
    /// msg.value, or the ERC-20 approved to this contract), receives the
    /// principal, and the schedule starts now.
    function acceptLoan(uint256 id) external payable nonReentrant {
        Loan storage ln = loans[id];
        require(ln.status == Status.Offered, "Loan: not an open offer");
        require(msg.sender == ln.terms.borrower, "Loan: only the borrower can accept");
        ln.status = Status.Active;
        ln.start = uint64(block.timestamp);
        emit LoanStarted(id, ln.start, ln.start + ln.terms.period);
        _receive(ln.terms.collateralToken, msg.sender, ln.terms.collateralAmount);
        _pay(ln.terms.token, msg.sender, ln.terms.principal);
    }

    /// @notice Pays `amount` towards the loan (CMT in msg.value, or the ERC-20
    /// approved to this contract): late fees first, then instalments in order.
    /// Paying more than is due now repays early; paying everything outstanding closes the loan.
    function repay(uint256 id, uint256 amount) external payable nonReentrant {
        Loan storage ln = loans[id];
        require(ln.status == Status.Active, "Loan: not active");
        _chargeLateFees(id, ln);
        uint256 left = ln.terms.instalment * ln.terms.count - ln.paid + ln.feesOwed;
        require(amount > 0 && amount <= left, "Loan: amount must be between 0 and the outstanding balance");
        uint256 toFees = amount < ln.feesOwed ? amount : ln.feesOwed;
        ln.feesOwed -= toFees;
        ln.paid += amount - toFees;
        emit Repaid(id, msg.sender, amount, toFees, ln.paid);
        _receive(ln.terms.token, msg.sender, amount);
        _pay(ln.terms.token, ln.lender, amount);
        if (amount == left) {
            ln.status = Status.Repaid;
            uint256 collateral = ln.terms.collateralAmount;
            emit LoanClosed(id, collateral);
            _pay(ln.terms.collateralToken, ln.terms.borrower, collateral);
        }
    }

    /// @notice The lender takes the collateral of a loan in default and closes it.
    function claimCollateral(uint256 id) external nonReentrant {
        Loan storage ln = loans[id];
        require(ln.status == Status.Active, "Loan: not active");
        require(msg.sender == ln.lender, "Loan: only the lender can claim the collateral");
        require(_inDefault(ln), "Loan: not in default");
        _chargeLateFees(id, ln);
        ln.status = Status.Defaulted;
        uint256 collateral = ln.terms.collateralAmount;
        emit LoanDefaulted(id, uint32(ln.paid / ln.terms.instalment), collateral);
        _pay(ln.terms.collateralToken, ln.lender, collateral);
    }

    /// @notice The loan's lender, terms and bookkeeping.
    function loan(uint256 id) external view returns (Loan memory) {
        return loans[id];
    }

    /// @notice What is due, overdue and outstanding on loan `id` now.
    function position(uint256 id) public view returns (Position memory p) {
        Loan storage ln = loans[id];
        p.status = ln.status;
        if (ln.status != Status.Active) return p;
        Terms storage t = ln.terms;
        p.instalmentsDue = _dueCount(ln, block.timestamp);
        p.instalmentsPaid = uint32(ln.paid / t.instalment);
        p.feesOwed = ln.feesOwed + _newLateFees(ln);
        uint256 total = t.instalment * t.count;
        p.outstanding = total - ln.paid + p.feesOwed;
        // An active loan has an unpaid instalment: paying the last one in full closes it.
        p.nextDueTime = ln.start + (uint64(p.instalmentsPaid) + 1) * t.period;
        uint256 dueAmount = t.instalment * p.instalmentsDue;
        p.dueNow = (dueAmount > ln.paid ? dueAmount - ln.paid : 0) + p.feesOwed;
        uint256 pastDueAmount = t.instalment * _pastDueCount(ln, block.timestamp);
        p.overdue = (pastDueAmount > ln.paid ? pastDueAmount - ln.paid : 0) + p.feesOwed;
        p.inDefault = _inDefault(ln);
    }

    /// @notice Everything left to pay on loan `id` now, late fees included (0 unless active).
    function outstanding(uint256 id) external view returns (uint256) {
        return position(id).outstanding;
    }

    /// @dev Instalments with due time ≤ t.
    function _dueCount(Loan storage ln, uint256 t) private view returns (uint32) {
        uint256 n = (t - ln.start) / ln.terms.period;
        return n > ln.terms.count ? ln.terms.count : uint32(n);
    }

    /// @dev Instalments with due time < t (late once unpaid).
    function _pastDueCount(Loan storage ln, uint256 t) private view returns (uint32) {
        if (t == ln.start) return 0;
        return _dueCount(ln, t - 1);
    }

    /// @dev Late fees the instalments past due and unpaid would be charged now.
    function _newLateFees(Loan storage ln) private view returns (uint256) {
        (uint32 from, uint32 to) = _lateRange(ln);
        return uint256(to - from) * ln.terms.lateFee;
    }

    /// @dev Instalments (from, to] are past due, unpaid and not yet charged.
    function _lateRange(Loan storage ln) private view returns (uint32 from, uint32 to) {
        uint32 paidCount = uint32(ln.paid / ln.terms.instalment);
        from = ln.lateCharged > paidCount ? ln.lateCharged : paidCount;
        to = _pastDueCount(ln, block.timestamp);
        if (to < from) to = from;
    }

    function _chargeLateFees(uint256 id, Loan storage ln) private {
        (uint32 from, uint32 to) = _lateRange(ln);
        if (to == from) return;
        uint256 fee = uint256(to - from) * ln.terms.lateFee;
        ln.lateCharged = to;
        ln.feesOwed += fee;
        emit LateFeeCharged(id, to - from, fee);
    }

    /// @dev The first unpaid instalment is still unpaid one grace period after its due time.
    /// (An active loan always has one: late fees are paid before instalments,
    /// so the payment that completes the instalments closes the loan.)
    function _inDefault(Loan storage ln) private view returns (bool) {
        uint256 next = ln.paid / ln.terms.instalment + 1;
        return block.timestamp > ln.start + next * ln.terms.period + ln.terms.gracePeriod;
    }
}
