"""Speech commands: `models list|add|verify`, `asr transcribe`, `tts say`.

The orchestrator is the only place where recognition (asr_models) and synthesis (dialogs.tts) meet:
`models verify` speaks a known phrase and checks that the model hears it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.markup import escape

from asr_models import (
    ModelInfo,
    ModelLayoutError,
    Pcm,
    install,
    list_models,
    load_recogniser,
    resolve,
    transcribe_pcm,
)
from asr_models import transcribe_file as transcribe_wav
from asr_models.whisper_model import PACKAGED_WHISPER, install_packaged, verify_hash
from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine, voice_for, write_wav
from orchestrator.cli_common import console, print_json, print_table, settings_of

models_app = typer.Typer(help="Speech recognition models: list, add, verify.", no_args_is_help=True)
asr_app = typer.Typer(help="Speech recognition.", no_args_is_help=True)
tts_app = typer.Typer(help="Speech synthesis and the prompt cache.", no_args_is_help=True)

# What `models verify` says per language, and the grammar it listens with.
VERIFY_PHRASES: dict[str, tuple[str, list[str]]] = {
    "ko": ("네", ["네", "아니요", "좋아요", "싫어요"]),
    "cmn": ("好的", ["好的", "不是", "可以"]),
    "zh": ("好的", ["好的", "不是", "可以"]),
    "en": ("yes", ["yes", "no", "later"]),
}


def register(app: typer.Typer) -> None:
    """Attach this module's command groups to the main app."""
    app.add_typer(models_app, name="models")
    app.add_typer(asr_app, name="asr")
    app.add_typer(tts_app, name="tts")


@models_app.command("list")
def models_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Models in installed packages and in OUTREACH_HOME/models (recognition) and /voices
    (synthesis: Kokoro; JSON entries with "kind": "tts")."""
    from orchestrator.cli_voices import print_voice_table, voice_rows

    infos = list_models(settings_of(ctx).models_dir)
    if as_json:
        print_json([i.as_dict() for i in infos] + voice_rows(settings_of(ctx).home))
        return
    print_table(
        f"Speech recognition models ({len(infos)})",
        ["name", "language", "engine", "source", "grammar", "path"],
        [(i.name, i.language, i.engine, i.source, "yes" if i.grammar else "no", i.path)
         for i in infos],
    )
    print_voice_table(settings_of(ctx).home)
    missing = sorted(set(PACKAGED_WHISPER) - {i.name for i in infos})
    if missing:
        console.print(f"not installed yet: {', '.join(missing)} (`outreach models add NAME` "
                      "installs it from the installed packages)")


@models_app.command("add")
def models_add(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(
        help="An unpacked vosk model folder or its .zip, or whisper-base (Whisper from its "
             "installed packages), or kokoro (the Kokoro voice from its packages).")],
    name: Annotated[str | None, typer.Option("--name", help="Name to use it by.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="e.g. ko, cmn, en.")] = None,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Do nothing when a model of that name is installed.")] = False,
) -> None:
    """Check a model's layout, then copy it into OUTREACH_HOME/models (whisper-base: join its
    two packaged parts, check the sha256, load it in a child process)."""
    from orchestrator.cli_voices import add_voice, is_voice_model

    models_dir = settings_of(ctx).models_dir
    if not source.exists() and is_voice_model(str(source), settings_of(ctx).home):
        return add_voice(settings_of(ctx).home, if_missing)  # `models add kokoro`
    packaged = PACKAGED_WHISPER.get(str(source)) if not source.exists() else None
    wanted = packaged.name if packaged else name
    if if_missing and wanted and (models_dir / wanted).exists():
        console.print(f"model {escape(wanted)} is already installed")
        return
    if packaged is not None:
        with console.status(f"installing {packaged.name}") as status:
            path = install_packaged(packaged, models_dir, lambda m: status.update(m))
        console.print(f"added model {packaged.name} ({packaged.language}, whisper) at "
                      f"{escape(str(path))}; sha256 checked, loads")
        return
    with console.status(f"checking and copying {source}"):
        info = install(source, models_dir, name, language)
    console.print(f"added model {escape(info.name)} ({info.language}) at {escape(str(info.path))}")


@models_app.command("verify")
def models_verify(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name or path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load a model and decode a short synthesised utterance with it (a Kokoro voice model:
    check its sha256 and synthesise a test phrase in a child process)."""
    from orchestrator.cli_voices import is_voice_model, verify_voice

    settings = settings_of(ctx)
    if is_voice_model(name, settings.home):
        return verify_voice(settings.home, name, as_json)
    info = resolve(name, settings.models_dir)
    digest_ok, digest = True, None
    if info.engine == "whisper":
        with console.status(f"checking the sha256 of {info.name}"):
            digest_ok, digest = verify_hash(info.path)
        if not digest_ok:
            raise ModelLayoutError(
                f"{info.path / 'model.bin'} has changed since it was installed (sha256 "
                f"{digest[:16]}…); delete {info.path} and run `outreach models add {info.name}`"
            )
    with console.status(f"loading {info.name} and decoding a test phrase"):
        said, heard = anyio.run(_verify, info, settings.prompt_cache_dir)
    ok = _same(heard, said)
    if as_json:
        print_json({"model": info.name, "engine": info.engine, "sha256": digest, "said": said,
                    "heard": heard, "ok": ok})
    else:
        verdict = "[green]ok[/]" if ok else "[red]MISMATCH[/]"
        checked = "sha256 ok, " if digest else ""
        console.print(f"{checked}said {said!r}, heard {heard!r}: {verdict}")
    if not ok:
        raise typer.Exit(1)


def _same(heard: str, said: str) -> bool:
    """Equal but for punctuation (Whisper writes 好的。)."""
    from asr_models.whisper_guard import normalise

    return normalise(heard) == normalise(said)


async def _verify(info: ModelInfo, cache_dir: Path) -> tuple[str, str]:
    said, grammar = VERIFY_PHRASES.get(info.language, VERIFY_PHRASES["ko"])
    voice = voice_for(info.language)
    prompt = await PromptCache(cache_dir, Pyttsx3Engine()).get(PromptSpec(said, voice))
    engine = await load_recogniser(info)
    transcript = await transcribe_pcm(
        engine, Pcm(prompt.pcm, prompt.spec.sample_rate), grammar if info.grammar else None
    )
    return said, transcript.text


@asr_app.command("capacity")
def asr_capacity(
    ctx: typer.Context,
    seconds: Annotated[float, typer.Option(help="Length of the test call.")] = 20.0,
    streams: Annotated[int | None, typer.Option(help="Calls decoded at once.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Measure how many calls this machine recognises in real time; the dialer then takes at
    most 80 % of that many calls at once."""
    from asr_models import load_capacity
    from orchestrator.capacity import measure

    settings = settings_of(ctx)
    with console.status("decoding test calls ..."):
        result = anyio.run(measure, settings.home, settings.models_dir, settings.asr_model,
                           seconds, streams)  # fmt: skip
    result["max_calls"] = load_capacity(settings.home)
    if as_json:
        print_json(result)
    else:
        print_table("Recognition capacity", ["", "value"], list(result.items()))


@asr_app.command("transcribe")
def asr_transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A 16-bit PCM WAV file (any rate, mono or stereo).")],
    model: Annotated[str | None, typer.Option("--model", help="Model name or path.")] = None,
    grammar: Annotated[
        str | None, typer.Option("--grammar", help='Expected phrases, e.g. "네,아니요,좋아요".')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recognise a WAV file and print the text, word times and real-time factor."""
    settings = settings_of(ctx)
    info = resolve(model or settings.asr_model, settings.models_dir)
    phrases = [p.strip() for p in grammar.split(",") if p.strip()] if grammar else None

    async def run() -> dict[str, object]:
        engine = await load_recogniser(info)
        return (await transcribe_wav(engine, file, phrases)).as_dict()

    with console.status(f"transcribing {file.name} with {info.name}"):
        result = anyio.run(run)
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{escape(str(result['text'] or '(nothing recognised)'))}[/]")
    words = result["words"]
    assert isinstance(words, list)
    print_table(
        f"{file.name}: {result['duration_s']} s, rtf {result['rtf']}",
        ["word", "start", "end", "conf"],
        [(w["word"], w["start"], w["end"], w["conf"]) for w in words],
    )


@tts_app.command("say")
def tts_say(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say.")],
    voice: Annotated[str, typer.Option("--voice", help="espeak-ng voice: ko, cmn, en-us.")] = "ko",
    out: Annotated[Path | None, typer.Option("--out", help="Also write the WAV here.")] = None,
    rate: Annotated[int, typer.Option("--rate", help="Sample rate of the output (Hz).")] = 8000,
) -> None:
    """Synthesise TEXT through the prompt cache; prints where the WAV is."""
    cache = PromptCache(settings_of(ctx).prompt_cache_dir, Pyttsx3Engine())
    prompt = anyio.run(cache.get, PromptSpec(text, voice, sample_rate=rate))
    path = prompt.path
    if out is not None:
        write_wav(out, prompt.pcm, rate)
        path = out
    state = "cached" if prompt.cached else "synthesised"
    console.print(f"{state}: {path} ({prompt.duration_s:.2f} s at {rate} Hz)")
