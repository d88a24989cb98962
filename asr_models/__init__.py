"""Speech recognition engines (vosk), model discovery and installation, voice activity detection.

Typical use by the call session:

    info = resolve("ko", settings.models_dir)
    engine = await load_recogniser(info)               # vosk or whisper, by the model; shared
    listener = TurnListener(engine.open_stream(8000))  # one per call
    listener.expect(["네", "아니요"])                   # per dialog state
    for event in await listener.feed(frame): ...       # SpeechStarted / Utterance / NoSpeech
"""

from asr_models.audio import TELEPHONY_RATE, Pcm, Resampler, read_wav, resample
from asr_models.capacity import load_capacity, realtime_streams, save_capacity
from asr_models.errors import (
    AsrError,
    AudioFormatError,
    GrammarError,
    ModelLayoutError,
    ModelNotFoundError,
)
from asr_models.listener import (
    ListenerStats,
    NoSpeech,
    SpeechStarted,
    TurnConfig,
    TurnEvent,
    TurnListener,
    Utterance,
)
from asr_models.recogniser import Recogniser, RecogniserStream, load_recogniser
from asr_models.registry import (
    ModelInfo,
    check_layout,
    install,
    language_family,
    list_models,
    recogniser_for,
    require_recogniser,
    resolve,
)
from asr_models.results import Result, Word
from asr_models.transcribe import Transcript, transcribe_file, transcribe_pcm
from asr_models.vad import GateStep, VadConfig, VoiceGate
from asr_models.vosk_engine import VoskEngine, VoskStream

__all__ = [
    "TELEPHONY_RATE",
    "AsrError",
    "AudioFormatError",
    "GateStep",
    "GrammarError",
    "ListenerStats",
    "ModelInfo",
    "ModelLayoutError",
    "ModelNotFoundError",
    "NoSpeech",
    "Pcm",
    "Recogniser",
    "RecogniserStream",
    "Resampler",
    "Result",
    "SpeechStarted",
    "Transcript",
    "TurnConfig",
    "TurnEvent",
    "TurnListener",
    "Utterance",
    "VadConfig",
    "VoiceGate",
    "VoskEngine",
    "VoskStream",
    "Word",
    "check_layout",
    "install",
    "language_family",
    "list_models",
    "load_capacity",
    "load_recogniser",
    "read_wav",
    "realtime_streams",
    "recogniser_for",
    "require_recogniser",
    "resample",
    "resolve",
    "save_capacity",
    "transcribe_file",
    "transcribe_pcm",
]
