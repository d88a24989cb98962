"""The AMI client against a small honest fake AMI on loopback: correlation, deadlines, bounded
events, keep-alive, reconnection, and never sending an Originate twice."""

from __future__ import annotations

import anyio
import pytest

from telephony.ami import (
    Action,
    AmiAuthError,
    AmiClient,
    AmiConfig,
    AmiConnectionError,
    AmiTimeout,
    ConnectionNotice,
    Event,
    actions,
)
from telephony.ami.codec import Message
from telephony.ami.fakepeer import FakeAmi

pytestmark = pytest.mark.anyio


def config(peer: FakeAmi, **overrides: float) -> AmiConfig:
    base: dict[str, float] = {"ping_interval": 60.0, "reconnect_initial": 0.05,
                              "reconnect_max": 0.2, "give_up_after": 5.0}  # fmt: skip
    base.update(overrides)
    return AmiConfig("127.0.0.1", peer.port, "outreach", peer.secret, **base)  # type: ignore[arg-type]  # floats for float fields


async def test_concurrent_actions_each_get_their_own_response() -> None:
    async with FakeAmi().running() as peer, AmiClient(config(peer)).running() as ami:
        results: dict[int, str | None] = {}

        async def one(i: int) -> None:
            response = await ami.send(Action.of("Setvar", {"Variable": f"V{i}", "Value": "1"}))
            results[i] = response.action_id

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(one, i)
        assert len(set(results.values())) == 20  # every caller got the answer to its own action
        sent = {(a.get("Variable"), a.action_id) for a in peer.actions if a.get("Variable")}
        assert {(f"V{i}", results[i]) for i in range(20)} == sent


async def test_a_wrong_secret_is_reported_as_such_without_retrying() -> None:
    async with FakeAmi().running() as peer:
        bad = AmiConfig("127.0.0.1", peer.port, "outreach", "wrong")
        with pytest.raises(AmiAuthError, match="refused AMI login"):
            async with AmiClient(bad).running():
                pass
        assert peer.logins == 1


async def test_nothing_listening_says_how_to_start_the_sandbox() -> None:
    async with FakeAmi().running() as peer:
        port = peer.port
    with pytest.raises(AmiConnectionError, match="sandbox up"):
        async with AmiClient(AmiConfig("127.0.0.1", port, "u", "s", connect_timeout=2)).running():
            pass


async def test_an_unanswered_action_times_out_with_a_named_error() -> None:
    async with FakeAmi().running() as peer, AmiClient(config(peer)).running() as ami:
        peer.silent = True
        with pytest.raises(AmiTimeout, match=r"did not answer Ping within 0\.3 s"):
            await ami.send(Action("Ping"), within=0.3)


async def test_a_dropped_connection_reconnects_and_never_resends_the_originate() -> None:
    async with FakeAmi().running() as peer, AmiClient(config(peer)).running() as ami:
        with ami.subscribe() as events:
            peer.silent = True  # Asterisk got the Originate, then the line died before answering
            originate = actions.originate("PJSIP/1@t", channel_id="c-1", context="robot")
            async with anyio.create_task_group() as tg:

                async def place() -> None:
                    with pytest.raises(AmiConnectionError, match="not re-sent"):
                        await ami.send(originate)

                tg.start_soon(place)
                await wait_until(lambda: len(peer.originates()) == 1)
                peer.silent = False
                await peer.drop_all()
            notices = [await events.receive(), await events.receive()]
        assert [n.state for n in notices if isinstance(n, ConnectionNotice)] == [
            "lost", "connected",
        ]  # fmt: skip
        assert (await ami.send(Action("Ping"))).get("Ping") == "Pong"  # works again
        assert peer.logins == 2 and ami.reconnects == 1
        assert len(peer.originates()) == 1  # sent once, never again


async def test_a_half_open_connection_is_caught_by_the_keepalive_ping() -> None:
    async with FakeAmi().running() as peer:
        cfg = config(peer, ping_interval=0.1, ping_timeout=0.3)
        async with AmiClient(cfg).running() as ami:
            with ami.subscribe() as events:
                peer.silent = True  # TCP stays up, nothing answers: a half-open connection
                lost = await events.receive()
                assert isinstance(lost, ConnectionNotice) and lost.state == "lost"
                assert "Ping" in lost.reason
                peer.silent = False
                again = await events.receive()
                assert isinstance(again, ConnectionNotice) and again.state == "connected"


async def test_a_full_event_buffer_drops_for_that_subscriber_only_and_counts() -> None:
    async with FakeAmi().running() as peer, AmiClient(config(peer)).running() as ami:
        with ami.subscribe(capacity=2) as slow, ami.subscribe() as fast:
            for i in range(10):
                await peer.broadcast(Event((("Event", "UserEvent"), ("N", str(i)))))
            received = [await fast.receive() for _ in range(10)]
            assert [e.get("N") for e in received if isinstance(e, Event)] == [
                str(i) for i in range(10)
            ]
            kept = [slow.receive_nowait(), slow.receive_nowait()]
            assert [e.get("N") for e in kept if isinstance(e, Event)] == ["0", "1"]
            assert ami.dropped_events == 8
            assert (await ami.send(Action("Ping"))).ok  # the reader never stalled


async def test_originate_events_reach_subscribers_matching_them() -> None:
    def script(action: Message) -> list[Event]:
        aid = action.action_id or ""
        return [
            Event((("Event", "Newchannel"), ("Uniqueid", "other"))),
            Event((("Event", "OriginateResponse"), ("ActionID", aid), ("Reason", "4"))),
        ]

    async with FakeAmi(on_originate=script).running() as peer:
        async with AmiClient(config(peer)).running() as ami:
            with ami.subscribe(match=lambda e: e.name == "OriginateResponse") as events:
                originate = actions.originate("PJSIP/1@t", channel_id="c-9", context="robot")
                await ami.send(originate, action_id="c-9")
                event = await events.receive()
        assert isinstance(event, Event) and event.get("ActionID") == "c-9"


async def test_giving_up_after_the_reconnect_budget_ends_with_a_clear_error() -> None:
    with pytest.raises(BaseExceptionGroup) as caught:
        async with FakeAmi().running() as peer:
            cfg = config(peer, give_up_after=0.5)
            async with AmiClient(cfg).running():
                await peer_stop(peer)
                await anyio.sleep(5)
    errors = _leaves(caught.value)
    assert any(isinstance(e, AmiConnectionError) and "could not reconnect" in str(e)
               for e in errors), errors  # fmt: skip


async def peer_stop(peer: FakeAmi) -> None:
    peer.silent = True
    peer.secret = "changed"  # every reconnect is refused from now on (as a stopped PBX would)
    await peer.drop_all()


def _leaves(group: BaseException) -> list[BaseException]:
    if isinstance(group, BaseExceptionGroup):
        return [leaf for sub in group.exceptions for leaf in _leaves(sub)]
    return [group]


async def wait_until(condition: object, within: float = 3.0) -> None:
    assert callable(condition)
    with anyio.fail_after(within):
        while True:
            if condition():
                return
            await anyio.sleep(0.01)
