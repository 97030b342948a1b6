// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Escrow for e-commerce orders paid in CMT
/// @notice One contract holds any number of orders. For each order the buyer
/// pays the price into escrow; the seller marks it shipped before the ship
/// deadline; the buyer confirms receipt and the seller is paid. If the seller
/// never ships, the buyer takes a refund after the deadline. If the buyer goes
/// silent after shipment, the seller is paid once the confirmation window has
/// passed. Either party may instead open a dispute, which the order's arbiter
/// settles by splitting the amount. Every step emits an event; every refusal
/// reverts with an "Escrow: ..." reason.
/// @dev Payments are pushed to the recipient; if that transfer fails (a
/// contract that rejects CMT), the amount is kept for the recipient to
/// `withdraw`, so no party can block another's payment.
contract Escrow {
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
    }

    /// Orders by id; ids start at 1.
    mapping(uint256 => Order) public orders;
    uint256 public orderCount;
    /// Payments that could not be pushed, by recipient.
    mapping(address => uint256) public pendingWithdrawals;

    uint256 private locked = 1;

    event OrderCreated(
        uint256 indexed id,
        address indexed buyer,
        address indexed seller,
        address arbiter,
        uint256 amount,
        uint64 shipDeadline,
        uint64 confirmWindow,
        bytes32 orderRef
    );
    event OrderShipped(uint256 indexed id, string tracking, uint64 confirmDeadline);
    event OrderCompleted(uint256 indexed id, uint256 paidToSeller, bool confirmedByBuyer);
    event OrderRefunded(uint256 indexed id, uint256 refundedToBuyer, bool bySeller);
    event OrderDisputed(uint256 indexed id, address indexed by, string reason);
    event DisputeResolved(uint256 indexed id, address indexed arbiter, uint256 toBuyer, uint256 toSeller);
    event PaymentDeferred(address indexed recipient, uint256 amount);
    event Withdrawn(address indexed recipient, uint256 amount);

    modifier nonReentrant() {
        require(locked == 1, "Escrow: reentrant call");
        locked = 2;
        _;
        locked = 1;
    }

    modifier inStatus(uint256 id, Status status) {
        if (orders[id].status != status) revert(_statusError(status));
        _;
    }

    /// @notice Opens an order and pays `msg.value` into escrow.
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
    ) external payable returns (uint256 id) {
        require(msg.value > 0, "Escrow: payment required");
        require(seller != address(0), "Escrow: seller is the zero address");
        require(seller != msg.sender, "Escrow: buyer and seller must differ");
        require(arbiter != address(0) && arbiter != msg.sender && arbiter != seller, "Escrow: arbiter must be a third party");
        require(shipDeadline > block.timestamp, "Escrow: ship deadline must be in the future");
        require(confirmWindow > 0, "Escrow: confirm window must be positive");
        id = ++orderCount;
        orders[id] = Order({
            buyer: msg.sender,
            seller: seller,
            arbiter: arbiter,
            amount: msg.value,
            shipDeadline: shipDeadline,
            confirmWindow: confirmWindow,
            confirmDeadline: 0,
            status: Status.Funded,
            orderRef: orderRef
        });
        emit OrderCreated(id, msg.sender, seller, arbiter, msg.value, shipDeadline, confirmWindow, orderRef);
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
        _pay(o.seller, o.amount);
    }

    /// @notice After the confirmation window, the seller collects an order the buyer neither confirmed nor disputed.
    function claimPayment(uint256 id) external nonReentrant inStatus(id, Status.Shipped) {
        Order storage o = orders[id];
        require(msg.sender == o.seller, "Escrow: only the seller can claim");
        require(block.timestamp > o.confirmDeadline, "Escrow: confirmation window still open");
        o.status = Status.Completed;
        emit OrderCompleted(id, o.amount, false);
        _pay(o.seller, o.amount);
    }

    /// @notice The buyer takes a refund of an order not shipped by its deadline.
    function refundExpired(uint256 id) external nonReentrant inStatus(id, Status.Funded) {
        Order storage o = orders[id];
        require(msg.sender == o.buyer, "Escrow: only the buyer can claim a refund");
        require(block.timestamp > o.shipDeadline, "Escrow: ship deadline not reached");
        o.status = Status.Refunded;
        emit OrderRefunded(id, o.amount, false);
        _pay(o.buyer, o.amount);
    }

    /// @notice The seller cancels the order and refunds the buyer in full (before completion).
    function refundBySeller(uint256 id) external nonReentrant {
        Order storage o = orders[id];
        require(o.status == Status.Funded || o.status == Status.Shipped, "Escrow: order is not open");
        require(msg.sender == o.seller, "Escrow: only the seller can refund");
        o.status = Status.Refunded;
        emit OrderRefunded(id, o.amount, true);
        _pay(o.buyer, o.amount);
    }

    /// @notice Buyer or seller hands an open order to the arbiter.
    function dispute(uint256 id, string calldata reason) external {
        Order storage o = orders[id];
        require(o.status == Status.Funded || o.status == Status.Shipped, "Escrow: order is not open");
        require(msg.sender == o.buyer || msg.sender == o.seller, "Escrow: only buyer or seller can dispute");
        o.status = Status.Disputed;
        emit OrderDisputed(id, msg.sender, reason);
    }

    /// @notice The arbiter settles a dispute: `toBuyer` to the buyer, the rest to the seller.
    function resolve(uint256 id, uint256 toBuyer) external nonReentrant inStatus(id, Status.Disputed) {
        Order storage o = orders[id];
        require(msg.sender == o.arbiter, "Escrow: only the arbiter can resolve");
        require(toBuyer <= o.amount, "Escrow: refund exceeds the escrowed amount");
        o.status = Status.Resolved;
        uint256 toSeller = o.amount - toBuyer;
        emit DisputeResolved(id, msg.sender, toBuyer, toSeller);
        if (toBuyer > 0) _pay(o.buyer, toBuyer);
        if (toSeller > 0) _pay(o.seller, toSeller);
    }

    /// @notice Collects payments that could not be pushed.
    function withdraw() external nonReentrant {
        uint256 amount = pendingWithdrawals[msg.sender];
        require(amount > 0, "Escrow: nothing to withdraw");
        pendingWithdrawals[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "Escrow: withdrawal transfer failed");
    }

    function _pay(address to, uint256 amount) private {
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) {
            pendingWithdrawals[to] += amount;
            emit PaymentDeferred(to, amount);
        }
    }

    function _statusError(Status expected) private pure returns (string memory) {
        if (expected == Status.Funded) return "Escrow: order is not awaiting shipment";
        if (expected == Status.Shipped) return "Escrow: order is not shipped";
        if (expected == Status.Disputed) return "Escrow: order is not disputed";
        return "Escrow: wrong order status";
    }
}
