"""Which column of a file goes to which field of a lead: the fields an import can fill
(TARGETS), the names CRMs and spreadsheets give them, and the mapping of one file.

Known names map themselves: the export columns of Follow Up Boss, kvCORE/BoldTrail, Lofty,
Wise Agent, Real Geeks, Sierra, CINC, Zillow and realtor.com leads, Google and Outlook
contacts, and the usual spellings (`Price Min`, `Budget From`, `Lead Status`, `Email 1`,
`Mobile`...). A column without a field of ours is kept as a custom field; staff change any
of it in the mapping step, and the agency's last mapping comes back for the next file
with the same header. A status column's values are mapped one by one (STATUS_WORDS).
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy, gettext_noop

from crm.importing import values
from crm.importing.csv_reading import CsvFileError


@dataclass(frozen=True)
class Target:
    """A field an import can fill: its key (in a saved mapping), its label in the mapping
    step, and the column names that map to it by themselves (written as `header_key`
    gives them). Several columns may go to one field: the first cell of a row that is not
    empty counts, or, for a field that `adds_up` (tags), all of them."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    adds_up: bool = False


def _words(text: str) -> tuple[str, ...]:
    return tuple(alias.strip() for alias in text.split(",") if alias.strip())


# The fields, in the order the mapping step offers them. Another field joins with a line.
TARGETS: list[Target] = [
    Target(
        "email",
        gettext_noop("Email"),
        _words(
            "email,e mail,email address,e mail address,email 1,e mail 1 value,email 1 value,"
            "primary email,mail,email primary,contact email,buyer email,email addr"
        ),
    ),
    Target(
        "first_name",
        gettext_noop("First name"),
        _words("first name,firstname,first,fname,given name,forename,name first,buyer first name"),
    ),
    Target(
        "last_name",
        gettext_noop("Last name"),
        _words("last name,lastname,last,lname,surname,family name,name last,buyer last name"),
    ),
    Target(
        "full_name",
        gettext_noop("Full name (first word: first name)"),
        _words(
            "name,full name,contact name,contact,lead name,client name,display name,"
            "buyer name,customer name,your name"
        ),
    ),
    Target(
        "phone",
        gettext_noop("Phone"),
        _words(
            "phone,phone 1,phone number,primary phone,mobile,mobile phone,cell,cell phone,"
            "cell phone 1,cellphone,telephone,tel,phone 1 value,mobile number,phone 1 number,"
            "phone mobile,cell number,contact phone,buyer phone"
        ),
    ),
    Target(
        "city",
        gettext_noop("City or area"),
        _words(
            "city,address 1 city,home city,primary city,mailing city,property city,area,areas,"
            "neighborhood,neighbourhood,desired area,search area,location,town,ville,"
            "preferred city,target city"
        ),
    ),
    Target(
        "status",
        gettext_noop("Status (values mapped below)"),
        _words(
            "status,stage,lead status,contact status,lead stage,pipeline,pipeline stage,"
            "deal stage,temperature,hotness,rating,statut"
        ),
    ),
    Target(
        "budget_min",
        gettext_noop("Budget from"),
        _words(
            "budget min,min budget,budget_min,price min,min price,minimum price,price from,"
            "budget from,low price,price low,min list price,min price range,price range min,"
            "budget minimum,minimum budget,from price,budget mini"
        ),
    ),
    Target(
        "budget_max",
        gettext_noop("Budget up to"),
        _words(
            "budget max,max budget,budget_max,price max,max price,maximum price,price to,"
            "budget to,high price,price high,max list price,max price range,price range max,"
            "budget maximum,maximum budget,to price,budget maxi"
        ),
    ),
    Target(
        "budget",
        gettext_noop("Budget (an amount, up to; or a range)"),
        _words(
            "budget,price,listing price,price range,price point,property price,home price,"
            "avg price,average price,target price,avg price viewed,average price viewed,"
            "purchase price,budget range,prix"
        ),
    ),
    Target(
        "source",
        gettext_noop("Source"),
        _words(
            "source,lead source,lead source name,referral source,origin,lead origin,"
            "how did you hear,how did you hear about us,channel,lead channel,lead type source,"
            "source name,provenance"
        ),
    ),
    Target(
        "agent",
        gettext_noop("Agent (a member's email or name)"),
        _words(
            "agent,owner,agent email,owner email,agent name,assigned to,assigned agent,"
            "agent assigned,contact owner,lead owner,assignee,assigned user,realtor,"
            "buyer agent,assigned agent name,agent assigned to"
        ),
    ),
    Target(
        "tags",
        gettext_noop("Tags"),
        _words(
            "tags,tag,labels,label,hashtags,hashtag,categories,category,groups,"
            "group membership,lists,list"
        ),
        adds_up=True,
    ),
    Target(
        "consent",
        gettext_noop("Consent to email (express, enquiry, client, bought list)"),
        _words(
            "consent,consent basis,email consent,marketing consent,opt in,optin,email opt in,"
            "subscribed,email subscription,permission,gdpr consent,casl consent,consentement"
        ),
    ),
    Target(
        "consent_date",
        gettext_noop("Consent date (or of the enquiry or sale)"),
        _words(
            "consent date,opt in date,date of consent,consent given,consented at,"
            "subscription date,date consentement"
        ),
    ),
]
CUSTOM = "custom"
SKIP = "skip"
# The labels are read in the page's language (they are in the catalogues by gettext_noop).
CHOICES: list[tuple[str, Any]] = [
    *((target.key, gettext_lazy(target.label)) for target in TARGETS),
    (CUSTOM, gettext_lazy("Keep as a custom field")),
    (SKIP, gettext_lazy("Skip this column")),
]
BY_KEY = {target.key: target for target in TARGETS}
ALIASES = {alias: target.key for target in TARGETS for alias in target.aliases}
# Columns kept as custom fields whose cells are dates: read as YYYY-MM-DD.
DATE_WORDS = frozenset(
    "date created added birthday birth anniversary dob closed close contacted registered "
    "activity".split()
)
MAX_COLUMNS = 250
TOO_MANY_COLUMNS = gettext_lazy("The file has {count} columns; an import reads {limit} at most.")
NAME_AND_PARTS = gettext_lazy("the file has first and last name columns")
NO_EMAIL = gettext_lazy(
    "No column goes to Email: choose the column that holds the email addresses."
)


def header_key(raw: str) -> str:
    """A column name as looked up: "  E-Mail_Address: " → "e mail address", "Email *" →
    "email"."""
    text = unicodedata.normalize("NFKC", raw).replace("\ufeff", "").strip().lower()
    text = re.sub(r"[_\-./#()\[\]?*:]+", " ", text)
    return " ".join(text.split())


def _known(name: str) -> str:
    """The target a column name maps to by itself, or ""."""
    key = header_key(name)
    if key in ALIASES:
        return ALIASES[key]
    # "Email 1" or "Phone 2 - Value": the same name without its number or its suffix.
    for variant in (
        re.sub(r"\s*\d+\s*", " ", key).strip(),
        re.sub(r"\s+(value|address|number)$", "", key),
        re.sub(r"^(primary|contact|lead|client|buyer|home|main)\s+", "", key),
    ):
        variant = " ".join(variant.split())
        if variant in ALIASES and ALIASES[variant] != "full_name":
            return ALIASES[variant]
    return ""


@dataclass
class Column:
    """One column of the file and where it goes."""

    index: int
    header: str
    target: str  # a Target's key, CUSTOM or SKIP
    custom_key: str = ""  # for CUSTOM: the key in Lead.custom
    why: str = ""  # why a column was skipped by itself

    @property
    def is_date(self) -> bool:
        return self.target == CUSTOM and bool(DATE_WORDS & set(header_key(self.header).split()))

    @property
    def label(self) -> str:
        return self.header or f"column {self.index + 1}"


@dataclass
class Mapping:
    """Where each column of a file goes, and what each status value becomes (status_key →
    a Lead.Status value, or "" to leave the status as it is)."""

    columns: list[Column]
    statuses: dict[str, str] = field(default_factory=dict)
    remembered: bool = False  # the agency's last mapping for this header

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]

    def of(self, target: str) -> list[Column]:
        return [column for column in self.columns if column.target == target]

    @property
    def skipped(self) -> list[Column]:
        """Columns nothing is read from (shown with the errors, and in the final message)."""
        return [c for c in self.columns if c.target == SKIP and c.header.strip()]

    def status_for(self, cell: str) -> str:
        key = values.status_key(cell)
        if key in self.statuses:
            return self.statuses[key]
        return values.known_status(cell)

    def as_json(self) -> dict[str, Any]:
        return {
            "header": self.header,
            "targets": [column.target for column in self.columns],
            "statuses": self.statuses,
            "remembered": self.remembered,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Mapping":
        mapping = mapping_with(data["header"], data["targets"], data.get("statuses", {}))
        mapping.remembered = data.get("remembered", False)
        return mapping


def header_signature(header: Iterable[str]) -> str:
    """What makes two files "the same header": their column names as looked up, in order."""
    text = "\x1f".join(header_key(name) for name in header)
    return hashlib.sha256(text.encode()).hexdigest()


def _custom_keys(columns: list[Column]) -> None:
    """Each custom column's key, unique within the file ("notes", "notes_2")."""
    used: set[str] = set()
    for column in columns:
        if column.target != CUSTOM:
            column.custom_key = ""
            continue
        base = values.custom_key(column.header or f"column {column.index + 1}")
        key, n = base, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        column.custom_key = key


def mapping_with(
    header: list[str], targets: list[str], statuses: dict[str, str] | None = None
) -> Mapping:
    """A mapping of `header` as given (the mapping step's choices, a saved mapping)."""
    allowed = set(BY_KEY) | {CUSTOM, SKIP}
    columns = [
        Column(index, name, target if target in allowed else SKIP)
        for index, (name, target) in enumerate(zip(header, targets, strict=True))
    ]
    parts = {"first_name", "last_name"} & {column.target for column in columns}
    for column in columns:
        if column.target == SKIP and parts and _known(column.header) == "full_name":
            column.why = str(NAME_AND_PARTS)
    _custom_keys(columns)
    return Mapping(columns, dict(statuses or {}))


def automatic(header: list[str]) -> Mapping:
    """Known names map themselves; a second column for a field (a second email, a second
    phone; tags add up instead) and any unknown column are kept as custom fields; a whole
    name beside first and last names is skipped; a column without a name, too."""
    if len(header) > MAX_COLUMNS:
        raise CsvFileError(TOO_MANY_COLUMNS.format(count=len(header), limit=MAX_COLUMNS))
    known = [_known(name) for name in header]
    taken: set[str] = set()
    columns = []
    for index, (name, target) in enumerate(zip(header, known, strict=True)):
        column = Column(index, name, target or CUSTOM)
        if not name.strip():
            column.target = SKIP
        elif target == "full_name" and {"first_name", "last_name"} & set(known):
            column.target, column.why = SKIP, str(NAME_AND_PARTS)
        elif target and target in taken and not BY_KEY[target].adds_up:
            column.target = CUSTOM  # "Email 2", "Phone 2": kept, not merged
        taken.add(column.target)
        columns.append(column)
    _custom_keys(columns)
    return Mapping(columns)
