"""Campaigns, contacts, list import, do-not-call, calling windows, retries, attempts and leads.

The names below load on first use (PEP 562): importing `campaigns.db` for `outreach campaign
list` does not import the importer, the phone library or the spreadsheet reader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from campaigns.errors import AlreadyRecorded, CampaignError, InvalidInput, NotFound

if TYPE_CHECKING:
    from campaigns.dnc import DncImportResult, add_dnc, import_dnc_file, is_blocked, list_dnc
    from campaigns.importer import ImportResult, import_contacts
    from campaigns.phones import PhoneNormalizer, check_region, phone_time_zone
    from campaigns.tabular import read_table

# List import, phone numbers and the do-not-call list (issue 2, import part).
_LAZY = {
    "DncImportResult": "dnc", "add_dnc": "dnc", "import_dnc_file": "dnc", "is_blocked": "dnc",
    "list_dnc": "dnc", "ImportResult": "importer", "import_contacts": "importer",
    "PhoneNormalizer": "phones", "check_region": "phones", "phone_time_zone": "phones",
    "read_table": "tabular",
}  # fmt: skip

__all__ = [
    "AlreadyRecorded",
    "CampaignError",
    "DncImportResult",
    "ImportResult",
    "InvalidInput",
    "NotFound",
    "PhoneNormalizer",
    "add_dnc",
    "check_region",
    "import_contacts",
    "import_dnc_file",
    "is_blocked",
    "list_dnc",
    "phone_time_zone",
    "read_table",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'campaigns' has no attribute {name!r}")
    return getattr(importlib.import_module(f"campaigns.{module}"), name)
