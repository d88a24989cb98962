"""Campaigns, contacts, list import, do-not-call, calling windows, retries, attempts and leads."""

from campaigns.errors import AlreadyRecorded, CampaignError, InvalidInput, NotFound

__all__ = ["AlreadyRecorded", "CampaignError", "InvalidInput", "NotFound"]

# List import, phone numbers and the do-not-call list (issue 2, import part).
from campaigns.dnc import DncImportResult, add_dnc, import_dnc_file, is_blocked, list_dnc
from campaigns.importer import ImportResult, import_contacts
from campaigns.phones import PhoneNormalizer, check_region, phone_time_zone
from campaigns.tabular import read_table

__all__ += [
    "DncImportResult", "ImportResult", "PhoneNormalizer", "add_dnc", "check_region",
    "import_contacts", "import_dnc_file", "is_blocked", "list_dnc", "phone_time_zone", "read_table",
]  # fmt: skip
