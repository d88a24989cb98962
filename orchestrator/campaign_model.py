"""Which recogniser a campaign listens with: its own model (`campaign create/edit --model`),
else the settings' `asr_model` when it hears the script's language, else one installed that does.
A campaign's own model is checked when it is set and again when a run starts."""

from __future__ import annotations

from pathlib import Path

from asr_models import ModelInfo, ModelNotFoundError, language_family, require_recogniser, resolve
from orchestrator.cli_common import UserError


def campaign_model(model: str, language: str, models_dir: Path, campaign: str) -> ModelInfo:
    """The installed model `model`, checked to hear `language` (the script's); else one line."""
    try:
        info = resolve(model, models_dir)
    except ModelNotFoundError as exc:
        raise UserError(f"campaign {campaign}'s recogniser model {model!r} is not installed "
                        f"({exc}); install it or choose another with `outreach campaign edit "
                        f"{campaign} --model NAME`") from exc  # fmt: skip
    if info.language != "?" and language_family(info.language) != language_family(language):
        raise UserError(f"model {info.name!r} hears {info.language}, but campaign {campaign}'s "
                        f"script speaks {language}: choose a {language} model (`outreach models "
                        "list`)")  # fmt: skip
    return info


def listener_model(own: str | None, language: str, models_dir: Path, preferred: str,
                   campaign: str) -> ModelInfo:  # fmt: skip
    """The model a run of `campaign` loads (see the module's docstring)."""
    if own:
        return campaign_model(own, language, models_dir, campaign)
    return require_recogniser(language, models_dir, preferred)
