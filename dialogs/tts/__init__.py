"""Prompt synthesis: the TTS engine interface, espeak-ng and Kokoro, and the prompt cache.

    cache = PromptCache(settings.prompt_cache_dir, default_engines())  # espeak-ng and Kokoro
    await cache.prerender([PromptSpec(text, "ko") for text in fixed_prompts])  # before dialling
    prompt = await cache.get(PromptSpec("김민수님 안녕하세요", "ko", sample_rate=8000))
    prompt = await cache.get(Voice("jm_kumo", "kokoro").spec("您好"))  # a script's voice
    prompt.pcm  # 16-bit mono at 8 kHz, ready to pace out in 20 ms frames
"""

from dialogs.tts.cache import (
    Prompt,
    PromptCache,
    PromptSpec,
    Voice,
    convert,
    default_engines,
    write_wav,
)
from dialogs.tts.engine import (
    DEFAULT_PITCH,
    DEFAULT_RATE,
    Audio,
    EspeakEngine,
    Pyttsx3Engine,
    SpeechRequest,
    TtsEngine,
    voice_for,
)
from dialogs.tts.errors import TtsError
from dialogs.tts.kokoro import KokoroEngine, KokoroModel

__all__ = [
    "DEFAULT_PITCH",
    "DEFAULT_RATE",
    "Audio",
    "EspeakEngine",
    "KokoroEngine",
    "KokoroModel",
    "Prompt",
    "PromptCache",
    "PromptSpec",
    "Pyttsx3Engine",
    "SpeechRequest",
    "TtsEngine",
    "TtsError",
    "Voice",
    "convert",
    "default_engines",
    "voice_for",
    "write_wav",
]
