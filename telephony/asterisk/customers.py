"""The sandbox's customer side: a simulated customer (telephony.sim) on every call that reaches
the `customers-sim` context, chosen by the dialled number."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from telephony.audiosocket import AudioSocketCall
from telephony.sim import CustomerRecord, Persona, QuestionBook, SimulatedCustomer, Speak

# Said on picking up, so that the PBX's answering-machine detection hears a person.
HELLO = {"ko": "여보세요", "cmn": "喂", "en-us": "hello"}


class SimulatedCustomers:
    """A `CustomerHandler`: `pick(number)` gives the persona; the robot's calls meet real-time
    simulated customers (speed 1: Asterisk paces the audio). Keeps each call's record by number."""

    def __init__(
        self, pick: Callable[[str], Persona], language: str, speak: Speak, *, hello: bool = False,
        questions: QuestionBook | None = None,
    ) -> None:
        """`hello`: people say hello on picking up; give it when AMD runs on the robot's side
        (without it AMD hears a silent pick-up as a machine). `questions`: the robot's
        confirmation questions, for customers to know them by (telephony/sim/questions.py)."""
        self._pick = pick
        self._hello = HELLO.get(language) if hello else None
        self._language = language
        self._speak = speak
        self._questions = questions
        self.records: dict[str, list[CustomerRecord]] = defaultdict(list)

    async def __call__(self, number: str, audio: AudioSocketCall) -> None:
        customer = SimulatedCustomer(
            self._pick(number), self._language, self._speak, seed=number,
            hello=self._hello, questions=self._questions,
        )  # fmt: skip
        self.records[number].append(customer.record)
        await customer.converse(audio)

    def records_json(self) -> dict[str, list[dict[str, Any]]]:
        """Every call's customer side by dialled number: the prompts heard (and the question
        each was known as) and what the customer said, for explaining a call that ended wrong."""
        return {n: [dataclasses.asdict(r) for r in calls] for n, calls in self.records.items()}
