"""How a simulated customer knows the robot's confirmation questions when it hears one.

A person understands "shall I connect you now?"; a simulated customer has no recogniser of its
own (one per call would cost as much as the robot's). It knows the script's confirmation
questions the way a regular caller knows a jingle: by their sound. `QuestionBook` keeps, for
each confirmation (`transfer`, `opt_out`, `callback`, `interested`: the script's `confirm:`
entries), the speech/pause pattern of the question as the robot's voice says it: one flag per
20 ms frame, speech or not, judged exactly as the customer judges what it hears (an energy gate,
then webrtcvad). A heard prompt is that question when its pattern has about the same length and
agrees with it frame by frame (`MATCH`), clearly better than with any other question (`MARGIN`:
the Korean questions all end in "네 또는 아니요로 말씀해 주세요"); every other prompt is none of
them, and the customer answers it from its persona's replies in order, as before. Measured on the
Korean script's prompts (as rendered, and after G.711 without noise): each question agrees with
itself at 0.94-0.96 and with another at most 0.89; no other prompt above 0.77. With white noise
at 20 dB SNR the pauses fill with noise and no question is known (none is mistaken either).

What this cannot do: know a question rendered with other values than the book's (a contact's
own `{bank}`), or one cut short by the customer's barge-in; those are answered in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import webrtcvad

from telephony.base import FRAME_BYTES, SAMPLE_RATE

ENERGY_FLOOR = 300.0  # RMS of s16 samples; espeak speech is far above, line silence is 0
MATCH = 0.9  # share of 20 ms frames whose speech/pause flag must agree
MARGIN = 0.04  # ... and by this much more than with any other question (they share an ending)
SLACK_FRAMES = 6  # lengths may differ this much (120 ms: frame alignment on a real line)


def is_speech(vad: webrtcvad.Vad, pcm: bytes) -> bool:
    """One frame of 8 kHz s16le: speech when above the energy floor and webrtcvad agrees."""
    n = len(pcm) // 2
    if not n:
        return False
    samples = np.frombuffer(pcm, "<i2", count=n).astype(np.int64)
    # Energy below the floor (mean square, exact in integers): not speech. Per frame, so numpy
    # rather than a Python loop over 160 samples.
    if int(samples @ samples) < ENERGY_FLOOR**2 * n:
        return False
    if len(pcm) != FRAME_BYTES:
        return True  # webrtcvad takes only 10/20/30 ms frames; trust energy alone
    return bool(vad.is_speech(pcm, SAMPLE_RATE))


def trimmed(flags: Sequence[bool]) -> list[bool]:
    """From the first speech frame to the last (how a prompt's run of speech is heard)."""
    on = [i for i, f in enumerate(flags) if f]
    return list(flags[on[0]:on[-1] + 1]) if on else []


def speech_flags(pcm: bytes, vad_mode: int = 2) -> list[bool]:
    """The speech/pause pattern of a whole prompt, trimmed, per 20 ms frame."""
    vad = webrtcvad.Vad(vad_mode)
    frames = [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]
    return trimmed([is_speech(vad, f) for f in frames])


class QuestionBook:
    """The confirmation questions a customer knows: kind -> the sounds of its wordings."""

    def __init__(self, questions: Mapping[str, Sequence[bytes]], vad_mode: int = 2) -> None:
        self._known = [(kind, np.array(speech_flags(pcm, vad_mode), dtype=bool))
                       for kind, sounds in questions.items() for pcm in sounds]
        self._known = [(k, f) for k, f in self._known if len(f)]

    @property
    def kinds(self) -> set[str]:
        return {k for k, _ in self._known}

    def recognise(self, heard: Sequence[bool]) -> str | None:
        """The kind of question a heard prompt's pattern (trimmed flags) is, or None."""
        h = np.array(heard, dtype=bool)
        scores: dict[str, float] = {}
        for kind, known in self._known:
            if abs(len(h) - len(known)) > SLACK_FRAMES:
                continue
            score = max(_agreement(h, known, shift) for shift in range(-3, 4))
            scores[kind] = max(score, scores.get(kind, 0.0))
        ranked = sorted(scores.items(), key=lambda ks: -ks[1])
        if not ranked or ranked[0][1] < MATCH:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MARGIN:
            return None  # as like another question as this one: not known
        return ranked[0][0]


def _agreement(a: np.ndarray, b: np.ndarray, shift: int) -> float:
    """Share of frames that agree with `b` moved `shift` frames later, over the longer one."""
    if shift > 0:
        b = np.concatenate([np.zeros(shift, dtype=bool), b])
    elif shift < 0:
        a = np.concatenate([np.zeros(-shift, dtype=bool), a])
    m = min(len(a), len(b))
    return float(np.sum(a[:m] == b[:m])) / max(len(a), len(b))
