// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Payouts} from "./utils/Payouts.sol";

/// @title Marketplace escrow for e-commerce orders paid in CMT or an ERC-20
/// @notice One contract holds any number of orders. For each order the buyer
/// pays the price into escrow; the seller marks it shipped before the ship
/// deadline; the buyer confirms receipt and the seller is paid. If the seller
/// never ships, the buyer takes a refund after the deadline. If the buyer goes
/// silent after shipment, the seller is paid once the confirmation window has
/// passed. The seller may refund all or part of the price at any time before
/// the order is settled. Either party may instead open a dispute, which the
/// order's arbiter settles by splitting the escrowed amount before the
/// dispute deadline; a dispute the arbiter leaves undecided past its deadline
/// settles as if it had never been opened (a refund if the order was not yet
/// shipped, payment to the seller if it was). Every step emits an event;
/// every refusal reverts with an "Escrow: ..." reason.
/// @dev Payments are pushed to the recipient; if that fails the amount is
/// kept for the recipient to `withdraw(token)` (see {Payouts}).
contract Escrow is Payouts {
    enum Status {
        None,
        Funded,
        Shipped,
        Completed,
        Refunded,
        Disputed,
        Resolved
    }

    struct Order {
        address buyer;
        address seller;
        address arbiter;
        /// What the escrow still holds for this order (the price less partial refunds).
        uint256 amount;
        /// The seller must mark the order shipped by this time (unix seconds).
        uint64 shipDeadline;
        /// Seconds the buyer has to confirm or dispute after shipment.
        uint64 confirmWindow;
        /// Set at shipment: shippedAt + confirmWindow.
        uint64 confirmDeadline;
        Status status;
        /// The merchant's order reference (e.g. a hash of the order details).
        bytes32 orderRef;
        /// The payment token; address(0) is CMT.
        address token;
        /// Seconds the arbiter has to decide once a dispute is opened.
        uint64 disputeWindow;
        /// Set when a dispute is opened: openedAt + disputeWindow.
        uint64 disputeDeadline;
        /// The status the order had when the dispute was opened (Funded or Shipped).
        Status disputedFrom;
    }

    /// Everything `createOrderWith` needs, as one argument.
    struct Terms {
        address token;
        uint256 amount;
        address seller;
        address arbiter;
        uint64 shipDeadline;
        uint64 confirmWindow;
        uint64 disputeWindow;
        bytes32 orderRef;
    }

    /// @notice The arbiter's time to decide for orders opened with `createOrder`.
    uint64 public constant DEFAULT_DISPUTE_WINDOW = 7 days;

    /// @notice Orders by id; ids start at 1.
    mapping(uint256 => Order) public orders;
    /// @notice How many orders were opened (the last id).
    uint256 public orderCount;

    /// @notice `buyer` opened order `id` with `seller` and paid `amount` of `token` into escrow.
    event OrderCreated(
        uint256 indexed id,
        address indexed buyer,
        address indexed seller,
        address arbiter,
        address token,
        uint256 amount,
        uint64 shipDeadline,
        uint64 confirmWindow,
        uint64 disputeWindow,
        bytes32 orderRef
    );
    /// @notice The seller shipped order `id`; the buyer has until `confirmDeadline` to confirm or dispute.
    event OrderShipped(uint256 indexed id, string tracking, uint64 confirmDeadline);
    /// @notice Order `id` completed: `paidToSeller` went to the seller (confirmed by the buyer, or claimed after the window).
    event OrderCompleted(uint256 indexed id, uint256 paidToSeller, bool confirmedByBuyer);
    /// @notice Order `id` was refunded in full (by the seller, or after the ship deadline).
    event OrderRefunded(uint256 indexed id, uint256 refundedToBuyer, bool bySeller);
    /// @notice The seller refunded `refundedToBuyer` of order `id`; `remaining` stays in escrow.
    event OrderPartiallyRefunded(uint256 indexed id, uint256 refundedToBuyer, uint256 remaining);
    /// @notice `by` handed order `id` to the arbiter, who has until `disputeDeadline` to decide.
    event OrderDisputed(uint256 indexed id, address indexed by, string reason, uint64 disputeDeadline);
    /// @notice The arbiter settled order `id`: `toBuyer` to the buyer, `toSeller` to the seller.
    event DisputeResolved(uint256 indexed id, address indexed arbiter, uint256 toBuyer, uint256 toSeller);
    /// @notice The arbiter missed the deadline of order `id`: settled as if no dispute had been opened.
    event DisputeExpired(uint256 indexed id, uint256 toBuyer, uint256 toSeller);

    /// @notice Refuses the call unless order `id` is in `status`.
    modifier inStatus(uint256 id, Status status) {
        if (orders[id].status != status) revert(_statusError(status));
        _;
    }

    /// @notice Opens an order paid in CMT (`msg.value`), with the default dispute window.
    /// @param seller who is paid when the order completes
    /// @param arbiter who settles a dispute (neither buyer nor seller)
    /// @param shipDeadline unix time by which the seller must ship
    /// @param confirmWindow seconds the buyer has to confirm after shipment
    /// @param orderRef the merchant's order reference
    /// @return id the new order's id
    function createOrder(
        address seller,
        address arbiter,
        uint64 shipDeadline,
        uint64 confirmWindow,
        bytes32 orderRef
    ) external payable nonReentrant returns (uint256 id) {
        return
            _create(
                Terms({
                    token: CMT,
                    amount: msg.value,
                    seller: seller,
                    arbiter: arbiter,
                    shipDeadline: shipDeadline,
                    confirmWindow: confirmWindow,
                    disputeWindow: DEFAULT_DISPUTE_WINDOW,
                    orderRef: orderRef
                })
            );
    }

    /// @notice Opens an order paid in `terms.token` (CMT with msg.value, or an
    /// ERC-20 the buyer has approved to this contract), with its own dispute window.
    /// @return id the new order's id
    function createOrderWith(Terms calldata terms) external payable nonReentrant returns (uint256 id) {
        return _create(terms);
    }

    /// @notice The seller marks the order shipped, before the ship deadline.
    function markShipped(uint256 id, string calldata tracking) external inStatus(id, Status.Funded) {
        Order storage o = orders[id];
        require(msg.sender == o.seller, "Escrow: only the seller can mark shipped");
        require(block.timestamp <= o.shipDeadline, "Escrow: ship deadline has passed");
        o.status = Status.Shipped;
        o.confirmDeadline = uint64(block.timestamp) + o.confirmWindow;
        emit OrderShipped(id, tracking, o.confirmDeadline);
    }

    /// @notice The buyer confirms receipt: the seller is paid.
    function confirmReceived(uint256 id) external nonReentrant inStatus(id, Status.Shipped) {
        Order storage o = orders[id];
        require(msg.sender == o.buyer, "Escrow: only the buyer can confirm");
        o.status = Status.Completed;
        emit OrderCompleted(id, o.amount, true);
        _pay(o.token, o.seller, o.amount);
    }

    /// @notice After the confirmation window, the seller collects an order the buyer neither confirmed nor disputed.
    function claimPayment(uint256 id) external nonReentrant inStatus(id, Status.Shipped) {
        Order storage o = orders[id];
        require(msg.sender == o.seller, "Escrow: only the seller can claim");
        require(block.timestamp > o.confirmDeadline, "Escrow: confirmation window still open");
        o.status = Status.Completed;
        emit OrderCompleted(id, o.amount, false);
        _pay(o.token, o.seller, o.amount);
    }

    /// @notice The buyer takes a refund of an order not shipped by its deadline.
    function refundExpired(uint256 id) external nonReentrant inStatus(id, Status.Funded) {
        Order storage o = orders[id];
        require(msg.sender == o.buyer, "Escrow: only the buyer can claim a refund");
        require(block.timestamp > o.shipDeadline, "Escrow: ship deadline not reached");
        o.status = Status.Refunded;
        emit OrderRefunded(id, o.amount, false);
        _pay(o.token, o.buyer, o.amount);
    }

    /// @notice The seller cancels the order and refunds what the escrow holds (before completion).
    function refundBySeller(uint256 id) external nonReentrant {
        Order storage o = orders[id];
        _requireOpenAndSeller(o);
        _refundInFull(id, o);
    }

    /// @notice The seller refunds part of the price (a missing item, a discount); the
    /// rest stays in escrow. Refunding everything that is left is a full refund.
    /// @param amount what the buyer gets back now, at most what the escrow holds
    function partialRefund(uint256 id, uint256 amount) external nonReentrant {
        Order storage o = orders[id];
        _requireOpenAndSeller(o);
        require(amount > 0 && amount <= o.amount, "Escrow: refund must be between 0 and the escrowed amount");
        if (amount == o.amount) {
            _refundInFull(id, o);
            return;
        }
        o.amount -= amount;
        emit OrderPartiallyRefunded(id, amount, o.amount);
        _pay(o.token, o.buyer, amount);
    }

    /// @notice Buyer or seller hands an open order to the arbiter, who has the
    /// order's dispute window to decide.
    function dispute(uint256 id, string calldata reason) external {
        Order storage o = orders[id];
        require(o.status == Status.Funded || o.status == Status.Shipped, "Escrow: order is not open");
        require(msg.sender == o.buyer || msg.sender == o.seller, "Escrow: only buyer or seller can dispute");
        o.disputedFrom = o.status;
        o.status = Status.Disputed;
        o.disputeDeadline = uint64(block.timestamp) + o.disputeWindow;
        emit OrderDisputed(id, msg.sender, reason, o.disputeDeadline);
    }

    /// @notice The arbiter settles a dispute before its deadline: `toBuyer` to the buyer, the rest to the seller.
    function resolve(uint256 id, uint256 toBuyer) external nonReentrant inStatus(id, Status.Disputed) {
        Order storage o = orders[id];
        require(msg.sender == o.arbiter, "Escrow: only the arbiter can resolve");
        require(block.timestamp <= o.disputeDeadline, "Escrow: dispute deadline has passed");
        require(toBuyer <= o.amount, "Escrow: refund exceeds the escrowed amount");
        o.status = Status.Resolved;
        uint256 toSeller = o.amount - toBuyer;
        emit DisputeResolved(id, msg.sender, toBuyer, toSeller);
        _pay(o.token, o.buyer, toBuyer);
        _pay(o.token, o.seller, toSeller);
    }

    /// @notice Anyone may settle a dispute the arbiter left undecided past its
    /// deadline: a refund if it was opened before shipment, payment to the seller otherwise.
    function settleExpiredDispute(uint256 id) external nonReentrant inStatus(id, Status.Disputed) {
        Order storage o = orders[id];
        require(block.timestamp > o.disputeDeadline, "Escrow: dispute deadline not reached");
        o.status = Status.Resolved;
        bool refund = o.disputedFrom == Status.Funded;
        uint256 toBuyer = refund ? o.amount : 0;
        uint256 toSeller = o.amount - toBuyer;
        emit DisputeExpired(id, toBuyer, toSeller);
        _pay(o.token, o.buyer, toBuyer);
        _pay(o.token, o.seller, toSeller);
    }

    function _create(Terms memory t) private returns (uint256 id) {
        require(t.amount > 0, "Escrow: payment required");
        require(t.seller != address(0), "Escrow: seller is the zero address");
        require(t.seller != msg.sender, "Escrow: buyer and seller must differ");
        require(
            t.arbiter != address(0) && t.arbiter != msg.sender && t.arbiter != t.seller,
            "Escrow: arbiter must be a third party"
        );
        require(t.shipDeadline > block.timestamp, "Escrow: ship deadline must be in the future");
        require(t.confirmWindow > 0, "Escrow: confirm window must be positive");
        require(t.disputeWindow > 0, "Escrow: dispute window must be positive");
        id = ++orderCount;
        orders[id] = Order({
            buyer: msg.sender,
            seller: t.seller,
            arbiter: t.arbiter,
            amount: t.amount,
            shipDeadline: t.shipDeadline,
            confirmWindow: t.confirmWindow,
            confirmDeadline: 0,
            status: Status.Funded,
            orderRef: t.orderRef,
            token: t.token,
            disputeWindow: t.disputeWindow,
            disputeDeadline: 0,
            disputedFrom: Status.None
        });
        emit OrderCreated(
            id,
            msg.sender,
            t.seller,
            t.arbiter,
            t.token,
            t.amount,
            t.shipDeadline,
            t.confirmWindow,
            t.disputeWindow,
            t.orderRef
        );
        _receive(t.token, msg.sender, t.amount);
    }

    function _requireOpenAndSeller(Order storage o) private view {
        require(o.status == Status.Funded || o.status == Status.Shipped, "Escrow: order is not open");
        require(msg.sender == o.seller, "Escrow: only the seller can refund");
    }

    function _refundInFull(uint256 id, Order storage o) private {
        o.status = Status.Refunded;
        emit OrderRefunded(id, o.amount, true);
        _pay(o.token, o.buyer, o.amount);
    }

    function _statusError(Status expected) private pure returns (string memory) {
        if (expected == Status.Funded) return "Escrow: order is not awaiting shipment";
        if (expected == Status.Shipped) return "Escrow: order is not shipped";
        return "Escrow: order is not disputed";
    }
}
