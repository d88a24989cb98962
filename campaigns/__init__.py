"""Campaigns, contacts, list import, do-not-call, calling windows, retries, attempts and leads."""

from campaigns.errors import AlreadyRecorded, CampaignError, InvalidInput, NotFound

__all__ = ["AlreadyRecorded", "CampaignError", "InvalidInput", "NotFound"]
