"""The fixed vocabulary of the scenario contract (modules, roles, kinds, statuses)."""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

MODULES: Tuple[str, ...] = (
    "sales",
    "purchasing",
    "inventory",
    "receivables",
    "payables",
    "fixed_assets",
    "payroll",
    "cash",
    "general_ledger",
)

ROLES: Tuple[str, ...] = ("employee", "accountant", "helpdesk", "finance_advisor", "admin")

BLOCKER_KINDS: Tuple[str, ...] = (
    "module_not_closed",
    "order_error",
    "payment_issue",
    "system_fault",
    "job_failed",
    "voucher_unposted",
    "data_mismatch",
    "permission_denied",
)
TICKET_CATEGORIES: Tuple[str, ...] = BLOCKER_KINDS + ("other",)

MODULE_STATUSES = ("open", "closing", "closed", "failed")
ORDER_KINDS = ("sales", "purchase")
ORDER_STATUSES = ("draft", "submitted", "approved", "posted", "cancelled")
ORDER_ISSUES = (
    "missing_price",
    "invalid_quantity",
    "missing_counterparty",
    "unapproved",
    "not_posted",
    "invoice_mismatch",
    "negative_stock",
)
PAYMENT_DIRECTIONS = ("in", "out")
PAYMENT_METHODS = ("bank_transfer", "alipay", "wechat_pay", "card", "cash", "bill")
PAYMENT_STATUSES = ("settled", "pending", "failed", "unmatched", "reversed")
JOB_STATUSES = ("succeeded", "failed", "running", "pending")
VOUCHER_STATUSES = ("draft", "approved", "posted")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
TICKET_STATUSES = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN_TICKET_STATUSES = ("new", "in_progress", "waiting")
DONE_TICKET_STATUSES = ("resolved", "closed")
SEVERITIES = ("critical", "high", "medium", "low")
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
"""PERIOD: ``YYYY-MM``, the one definition the scenario schema and the diagnosis share."""

# A module cannot close while one it depends on is not closed.
DEFAULT_DEPENDENCIES: Dict[str, List[str]] = {
    "sales": [],
    "purchasing": [],
    "inventory": ["sales", "purchasing"],
    "receivables": ["sales"],
    "payables": ["purchasing"],
    "fixed_assets": [],
    "payroll": [],
    "cash": [],
    "general_ledger": [m for m in MODULES if m != "general_ledger"],
}


def effective_dependencies(depends_on: Optional[Mapping[str, Sequence[str]]] = None) -> Dict[str, List[str]]:
    """Default dependencies, with each module named in ``depends_on`` replaced (``[]`` = none)."""
    deps = {module: list(default) for module, default in DEFAULT_DEPENDENCIES.items()}
    for module, override in (depends_on or {}).items():
        deps[module] = list(override or [])
    return deps

MODULE_LABELS: Dict[str, str] = {
    "sales": "Sales",
    "purchasing": "Purchasing",
    "inventory": "Inventory",
    "receivables": "Receivables (AR)",
    "payables": "Payables (AP)",
    "fixed_assets": "Fixed assets",
    "payroll": "Payroll",
    "cash": "Cash management",
    "general_ledger": "General ledger",
}


def module_words(module: str) -> str:
    """The module as it reads mid-sentence: "receivables (AR)", "general ledger"."""
    label = MODULE_LABELS.get(module, module.replace("_", " "))
    return label[:1].lower() + label[1:]
