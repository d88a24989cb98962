"""Prompt synthesis: the TTS engine interface, pyttsx3/espeak-ng as default, and the prompt cache.

    cache = PromptCache(settings.prompt_cache_dir, Pyttsx3Engine())
    await cache.prerender([PromptSpec(text, "ko") for text in fixed_prompts])  # before dialling
    prompt = await cache.get(PromptSpec("김민수님 안녕하세요", "ko", sample_rate=8000))
    prompt.pcm  # 16-bit mono at 8 kHz, ready to pace out in 20 ms frames
"""

from dialogs.tts.cache import Prompt, PromptCache, PromptSpec, convert, write_wav
from dialogs.tts.engine import (
    DEFAULT_PITCH,
    DEFAULT_RATE,
    Audio,
    Pyttsx3Engine,
    SpeechRequest,
    TtsEngine,
    voice_for,
)
from dialogs.tts.errors import TtsError

__all__ = [
    "DEFAULT_PITCH",
    "DEFAULT_RATE",
    "Audio",
    "Prompt",
    "PromptCache",
    "PromptSpec",
    "Pyttsx3Engine",
    "SpeechRequest",
    "TtsEngine",
    "TtsError",
    "convert",
    "voice_for",
    "write_wav",
]
