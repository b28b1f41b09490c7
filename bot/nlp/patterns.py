"""Vocabulary of the entity ruler: periods, modules, company ids, ticket numbers, record ids.

Everything here is plain data (no spaCy import), shared by the spaCy pipeline builder
(:mod:`bot.nlp.spacy_pipeline`) and the normaliser (:mod:`bot.nlp.normalize`), so the
words the bot recognises and the words it can resolve are the same list.

Entity labels produced by the pipeline: ``period``, ``module``, ``company``,
``ticket_number`` (the four the assistant uses) and ``record_id`` (order, payment,
job and voucher ids such as ``SO-1042``, ``PAY-88``, ``JOB-AR-AGING``,
``V-2026-11-0087``; recognised so they are never mistaken for a company id).

Tokenisation assumed (see :func:`bot.nlp.spacy_pipeline.make_tokenizer`): hyphens do
not split tokens (``CLS-000123``, ``2026-11`` and ``V-2026-11-0087`` are one token each)
and every CJK character is a token of its own (``十一月不能结账`` is seven tokens), so
Chinese aliases are written as phrases and tokenised like the text.
"""

from typing import Any, Dict, List, Tuple

PERIOD = "period"
MODULE = "module"
COMPANY = "company"
TICKET_NUMBER = "ticket_number"
RECORD_ID = "record_id"
PERSON = "person"

#: The labels the assistant consumes (SpacyEntityExtractor ``dimensions``).
ASSISTANT_LABELS: Tuple[str, ...] = (PERIOD, MODULE, COMPANY, TICKET_NUMBER, PERSON)

# --------------------------------------------------------------------------- periods

#: month number -> English spellings (lowercase; full name, abbreviations).
MONTH_WORDS: Dict[int, Tuple[str, ...]] = {
    1: ("january", "jan"),
    2: ("february", "feb", "febuary"),
    3: ("march", "mar"),
    4: ("april", "apr"),
    5: ("may",),
    6: ("june", "jun"),
    7: ("july", "jul"),
    8: ("august", "aug"),
    9: ("september", "sep", "sept"),
    10: ("october", "oct"),
    11: ("november", "nov", "novemeber", "novmber"),
    12: ("december", "dec"),
}

#: Chinese month names (一月 .. 十二月); "11月" style is handled by a regex.
CHINESE_MONTHS: Dict[str, int] = {
    "一月": 1,
    "二月": 2,
    "三月": 3,
    "四月": 4,
    "五月": 5,
    "六月": 6,
    "七月": 7,
    "八月": 8,
    "九月": 9,
    "十月": 10,
    "十一月": 11,
    "十二月": 12,
}

#: Relative period phrases -> month offset from the reference period.
RELATIVE_PERIODS: Dict[str, int] = {
    "this month": 0,
    "current month": 0,
    "this period": 0,
    "current period": 0,
    "this close": 0,
    "本月": 0,
    "这个月": 0,
    "本期": 0,
    "last month": -1,
    "previous month": -1,
    "prior month": -1,
    "last period": -1,
    "previous period": -1,
    "prior period": -1,
    "上月": -1,
    "上个月": -1,
    "上期": -1,
}

#: Words that are also ordinary English and only count as a month next to a year.
AMBIGUOUS_MONTH_WORDS = frozenset({"may", "mar"})

YEAR_REGEX = r"^(19|20)\d{2}$"
MONTH_NUMBER_REGEX = r"^(0?[1-9]|1[0-2])$"
#: 2026-11, 2026/11, 2026.11, 202611
ISO_PERIOD_REGEX = r"^(19|20)\d{2}([-/.]?)(0[1-9]|1[0-2])$"
#: 11/2026, 11-2026
MONTH_YEAR_REGEX = r"^(0?[1-9]|1[0-2])[-/.](19|20)\d{2}$"
#: SAP style "period 011 2026" / "011/2026"
SAP_PERIOD_REGEX = r"^0(0[1-9]|1[0-2])$"

# --------------------------------------------------------------------------- modules

#: canonical module -> aliases (lowercase; Chinese as written).
MODULE_ALIASES: Dict[str, Tuple[str, ...]] = {
    "sales": ("sales", "order to cash", "o2c", "销售"),
    "purchasing": (
        "purchasing",
        "purchase",
        "purchases",
        "procurement",
        "procure to pay",
        "p2p",
        "采购",
    ),
    "inventory": (
        "inventory",
        "stock",
        "warehouse",
        "inv module",
        "库存",
        "存货",
        "仓库",
    ),
    "receivables": (
        "receivables",
        "receivable",
        "accounts receivable",
        "account receivable",
        "ar",
        "a/r",
        "sales ledger",
        "debtors",
        "debtors ledger",
        "应收",
        "应收款",
        "应收账款",
    ),
    "payables": (
        "payables",
        "payable",
        "accounts payable",
        "account payable",
        "ap",
        "a/p",
        "purchase ledger",
        "purchases ledger",
        "bought ledger",
        "creditors",
        "creditors ledger",
        "应付",
        "应付款",
        "应付账款",
    ),
    "fixed_assets": (
        "fixed assets",
        "fixed asset",
        "fixed_assets",
        "fa",
        "assets",
        "asset accounting",
        "固定资产",
        "固资",
    ),
    "payroll": ("payroll", "salary", "salaries", "wages", "工资", "薪资", "薪酬"),
    "cash": ("cash", "cash management", "treasury", "cashier", "出纳", "现金", "资金"),
    "general_ledger": (
        "general ledger",
        "general_ledger",
        "gl",
        "g/l",
        "ledger",
        "总账",
        "总帐",
    ),
}

#: Short aliases that must be written in capitals to count ("AP", not "ap").
UPPERCASE_ONLY_ALIASES = frozenset({"ar", "ap", "fa"})

#: Phrases that contain a module word but name a kind of document, not the module
#: ("unpriced sales orders" is about orders, "sales tax" about tax); tagged so the module
#: pattern cannot win. Chinese module names are their shortest form ("销售", not "销售模块").
DOCUMENT_PHRASES: Tuple[str, ...] = (
    "sales order",
    "sales orders",
    "purchase order",
    "purchase orders",
    "sales invoice",
    "sales invoices",
    "purchase invoice",
    "purchase invoices",
    "stock price",
    "stock prices",
    "stock market",
    "stock options",
    # the word, not the module: taxes, quotes, requests, cash accounting, payslips
    "sales tax",
    "sales taxes",
    "sales quote",
    "sales quotes",
    "sales contract",
    "sales contracts",
    "purchase request",
    "purchase requests",
    "purchase requisition",
    "purchase requisitions",
    "cash basis",
    "cash flow",
    "cash flows",
    "cash-flow",
    "treasury yield",
    "treasury bill",
    "treasury bills",
    "treasury bond",
    "treasury bonds",
    "net salary",
    "salary slip",
    "销售订单",
    "采购订单",
    "销售发票",
    "采购发票",
    "采购申请",
    "销售合同",
    "采购合同",
    "现金流",
    "现金流量",
    "现金流量表",
    "工资条",
    # people and teams, not modules: "sales will fix the price", "nudge the AR clerk"
    "sales team",
    "sales teams",
    "sales guys",
    "sales people",
    "salespeople",
    "sales rep",
    "sales reps",
    "sales manager",
    "ar team",
    "ar clerk",
    "ap team",
    "ap clerk",
    "payroll team",
    "warehouse team",
    "warehouse staff",
    "warehouse guys",
    "treasury team",
    "purchasing team",
    "procurement team",
    "销售部",
    "销售部门",
    "采购部",
    "采购部门",
    "仓库管理员",
)
DOCUMENT = "document"
#: ERP message numbers ("Message no. CL017"), which look like company ids.
ERROR_CODE = "error_code"

# --------------------------------------------------------------------------- ids

#: Prefixes of ERP record ids (orders, payments, jobs, vouchers...) in lowercase.
RECORD_PREFIXES: Tuple[str, ...] = (
    "so",
    "po",
    "pay",
    "inv",
    "job",
    "v",
    "je",
    "gr",
    "dn",
    "rec",
    "bat",
)

#: Oracle style "NOV-26", "Nov-2026" (lower-cased token text)
MONTH_DASH_YEAR_REGEX = (
    r"^(" + "|".join(sorted({w for ws in MONTH_WORDS.values() for w in ws})) + r")-((19|20)?\d{2})$"
)
TICKET_REGEX = r"^#?cls-?\d{1,9}$"
#: C100, c200, AB12 (letters then digits) or c-300 (one letter, hyphen, digits);
#: record prefixes (so1042, pay88...), ticket numbers and fiscal periods (FY26, P11) excluded.
COMPANY_REGEX = (
    r"^(?!(?:" + "|".join(RECORD_PREFIXES) + r"|cls)-?\d)(?!fy\d{2}(?:\d{2})?$)(?!p\d{1,2}$)"
    r"(?:[a-z]{1,3}\d{2,6}|[a-z]-\d{2,6})$"
)
#: SO-1042, PAY-88, JOB-AR-AGING, V-2026-11-0087 (lower-cased token text); not "nov-26".
RECORD_REGEX = (
    r"^(?!cls-)(?!" + MONTH_DASH_YEAR_REGEX[1:] + r")(?:(?:" + "|".join(RECORD_PREFIXES) + r")-[a-z0-9][a-z0-9-]*"
    r"|[a-z]{2,5}-\d{1,8}(?:-[a-z0-9]+)*)$"
)


#: People as the directory names them: user ids ("u-hana"), email local parts ("li.wei"),
#: Slack mentions ("@hana"). Plain names ("Hana Kim") are not patterns (any two capitalised
#: words would match); bot.nlp.commands reads them from "... to Hana Kim" instead.
USER_ID_REGEX = r"^u-[a-z][a-z0-9._-]*$"
DOTTED_NAME_REGEX = r"^[a-z]{2,}\.[a-z]{2,}$"
MENTION_REGEX = r"^@[a-z][a-z0-9._-]+$"


def _month_token_patterns() -> List[Dict[str, Any]]:
    pats: List[Dict[str, Any]] = []
    unambiguous = sorted(
        w for words in MONTH_WORDS.values() for w in words if w not in AMBIGUOUS_MONTH_WORDS
    )
    all_words = sorted(w for words in MONTH_WORDS.values() for w in words)
    year = {"TEXT": {"REGEX": YEAR_REGEX}}
    # "November", "nov", "Nov 2026", "november 2026", "Nov. 2026", "nov, 2026"
    pats.append({"label": PERIOD, "pattern": [{"LOWER": {"IN": unambiguous}}]})
    pats.append(
        {
            "label": PERIOD,
            "pattern": [
                {"LOWER": {"IN": all_words}},
                {"TEXT": {"IN": [".", ","]}, "OP": "?"},
                year,
            ],
        }
    )
    # "May" with a capital, not first in the message, counts on its own.
    pats.append({"label": PERIOD, "pattern": [{"TEXT": "May", "IS_SENT_START": False}]})
    # "2026 November"
    pats.append({"label": PERIOD, "pattern": [year, {"LOWER": {"IN": all_words}}]})
    # "the 11th month"? no. "month 11", "period 11", "period 011 2026"
    pats.append(
        {
            "label": PERIOD,
            "pattern": [
                {"LOWER": {"IN": ["period", "month", "posting"]}, "OP": "?"},
                {"LOWER": "period", "OP": "?"},
                {"TEXT": {"REGEX": SAP_PERIOD_REGEX}},
                year,
            ],
        }
    )
    return pats


#: Fiscal periods: "FY26 P11", "FY2026 P11", "P11 FY26", "FY26-P11", "FY26 period 11".
FISCAL_YEAR_REGEX = r"^fy'?\d{2}(?:\d{2})?$"
FISCAL_PERIOD_REGEX = r"^p\.?\d{1,2}$"


def _fiscal_period_patterns() -> List[Dict[str, Any]]:
    fy = {"LOWER": {"REGEX": FISCAL_YEAR_REGEX}}
    period = {"LOWER": {"REGEX": FISCAL_PERIOD_REGEX}}
    return [
        {"label": PERIOD, "pattern": [fy, period]},
        {"label": PERIOD, "pattern": [period, fy]},
        {"label": PERIOD, "pattern": [fy, {"LOWER": {"IN": ["period", "p"]}}, {"TEXT": {"REGEX": r"^\d{1,2}$"}}]},
        {"label": PERIOD, "pattern": [{"LOWER": {"REGEX": r"^fy'?\d{2}(?:\d{2})?[-/]p\d{1,2}$"}}]},
    ]


def _chinese_period_patterns() -> List[Dict[str, Any]]:
    pats: List[Dict[str, Any]] = [{"label": PERIOD, "pattern": name} for name in CHINESE_MONTHS]
    # 11月, 2026年11月, 2026年十一月
    pats.append(
        {
            "label": PERIOD,
            "pattern": [
                {"TEXT": {"REGEX": YEAR_REGEX}, "OP": "?"},
                {"TEXT": "年", "OP": "?"},
                {"TEXT": {"REGEX": MONTH_NUMBER_REGEX}},
                {"TEXT": "月"},
            ],
        }
    )
    for name in CHINESE_MONTHS:
        pats.append(
            {
                "label": PERIOD,
                "pattern": [{"TEXT": {"REGEX": YEAR_REGEX}}, {"TEXT": "年"}]
                + [{"TEXT": ch} for ch in name],
            }
        )
    return pats


#: "the other company": a company named relative to the one just diagnosed (resolved by
#: bot.conversation.employee against the companies the user may see).
OTHER_COMPANY_PHRASES: Tuple[str, ...] = (
    "other company", "another company", "other entity", "另一家公司", "另一个公司", "别的公司", "另外那家公司",
)


def phrase_patterns() -> List[Dict[str, Any]]:
    """Literal phrases; the pipeline tokenises them, matched on LOWER."""
    pats: List[Dict[str, Any]] = []
    for phrase in OTHER_COMPANY_PHRASES:
        pats.append({"label": COMPANY, "pattern": phrase})
    for phrase in RELATIVE_PERIODS:
        pats.append({"label": PERIOD, "pattern": phrase})
    for module, aliases in MODULE_ALIASES.items():
        for alias in aliases:
            if alias in UPPERCASE_ONLY_ALIASES:
                continue
            pats.append({"label": MODULE, "pattern": alias, "id": module})
    for phrase in DOCUMENT_PHRASES:
        pats.append({"label": DOCUMENT, "pattern": phrase})
    return pats


def token_patterns() -> List[Dict[str, Any]]:
    """Token patterns (REGEX / LOWER / TEXT)."""
    pats: List[Dict[str, Any]] = []
    pats.append({"label": TICKET_NUMBER, "pattern": [{"LOWER": {"REGEX": TICKET_REGEX}}]})
    # "#cls-12" when the tokenizer splits off the "#": the span keeps it, as typed
    pats.append({"label": TICKET_NUMBER, "pattern": [{"ORTH": "#"}, {"LOWER": {"REGEX": TICKET_REGEX}}]})
    # "CLS 7" / "cls 000140" typed with a space: the prefix and the number as two tokens
    pats.append({"label": TICKET_NUMBER, "pattern": [{"ORTH": "#", "OP": "?"}, {"LOWER": {"IN": ["cls", "cls-"]}},
                                                     {"TEXT": {"REGEX": r"^\d{1,9}$"}}]})
    pats.append({"label": ERROR_CODE, "pattern": [
        {"LOWER": {"IN": ["message", "msg", "error", "err"]}},
        {"LOWER": {"IN": ["no", "no.", "number", "code", "#"]}, "OP": "?"},
        {"TEXT": ".", "OP": "?"},
        {"TEXT": {"REGEX": r"^[A-Za-z]{1,4}\d{2,6}:?$"}},
    ]})
    pats.append({"label": RECORD_ID, "pattern": [{"LOWER": {"REGEX": RECORD_REGEX}}]})
    for regex in (USER_ID_REGEX, DOTTED_NAME_REGEX, MENTION_REGEX):
        pats.append({"label": PERSON, "pattern": [{"LOWER": {"REGEX": regex}}]})
    pats.append({"label": PERSON, "pattern": [{"ORTH": "@"}, {"LOWER": {"REGEX": r"^[a-z][a-z0-9._-]+$"}}]})
    pats.append({"label": COMPANY, "pattern": [{"LOWER": {"REGEX": COMPANY_REGEX}}]})
    pats.append({"label": PERIOD, "pattern": [{"TEXT": {"REGEX": ISO_PERIOD_REGEX}}]})
    pats.append({"label": PERIOD, "pattern": [{"TEXT": {"REGEX": MONTH_YEAR_REGEX}}]})
    pats.append({"label": PERIOD, "pattern": [{"LOWER": {"REGEX": MONTH_DASH_YEAR_REGEX}}]})
    pats.extend(_month_token_patterns())
    pats.extend(_fiscal_period_patterns())
    pats.extend(_chinese_period_patterns())
    for module, aliases in MODULE_ALIASES.items():
        for alias in aliases:
            if alias in UPPERCASE_ONLY_ALIASES:
                pats.append(
                    {"label": MODULE, "pattern": [{"TEXT": alias.upper()}], "id": module}
                )
    return pats


def all_patterns() -> List[Dict[str, Any]]:
    """Every entity-ruler pattern, token patterns first."""
    return token_patterns() + phrase_patterns()
