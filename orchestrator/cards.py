"""A record shown to a person as (field, value) rows: the contact's list columns (product, bank,
... from the CRM export) get a row each instead of a dict printed as Python writes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def card_rows(record: Mapping[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in record.items():
        if key == "attributes" and isinstance(value, Mapping):
            rows.extend((f"  {k}", v) for k, v in value.items())
        else:
            rows.append((key, value))
    return rows
