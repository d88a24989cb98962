"""Speech recognition engines (vosk), model discovery and installation, voice activity detection."""

from asr_models.errors import AsrError

__all__ = ["AsrError"]
