"""The campaigns layer's errors: each says what is wrong and what to do about it."""


class CampaignError(Exception):
    """Base of every error the campaigns layer reports to a user."""


class NotFound(CampaignError):
    """A campaign, contact, lead or attempt that does not exist."""


class InvalidInput(CampaignError):
    """A value a user gave (phone, window, retry rule, file) that cannot be used."""


class AlreadyRecorded(CampaignError):
    """An outcome for an attempt that already has one: outcomes are recorded exactly once."""
