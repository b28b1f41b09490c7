"""How to keep each kind of blocker from coming back, drawn from the source article."""

from typing import Dict

PREVENTION: Dict[str, str] = {
    "order_error": (
        "Review orders before submitting them (price, quantity, customer or supplier), "
        "and reconcile business against finance data on a schedule."
    ),
    "payment_issue": (
        "Keep payment methods simple, confirm settlement with the bank before month end, "
        "and match receipts to their orders as they arrive."
    ),
    "system_fault": (
        "Schedule maintenance and upgrades in quiet hours with notice, monitor the "
        "systems, keep backups and a rehearsed emergency plan."
    ),
    "job_failed": (
        "Monitor batch jobs and alert on failure the same day, not at close time."
    ),
    "voucher_unposted": (
        "Audit and post vouchers weekly instead of all on the last day."
    ),
    "data_mismatch": (
        "Run an automated comparison of sub-ledgers and the general ledger every week."
    ),
    "module_not_closed": (
        "Follow a written close checklist in dependency order with owners and dates."
    ),
    "permission_denied": (
        "Review close permissions before month end and train a backup closer."
    ),
}
