"""A bounded queue of caller frames between the call's producer and its one consumer.

Why not an anyio memory object stream: a call's frames must outlive the producer (a caller who
says something and hangs up at once is still heard in full), and nobody may be obliged to close a
receiving end the consumer might never open. Here `close()` ends iteration only after the buffer is
drained, and an abandoned inbox is simply garbage. Full means: `put_nowait` drops and counts (a
socket reader must never stall), `put` waits (an in-process simulation slows down instead).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, size: int) -> None:
        self._items: deque[T] = deque()
        self._size = size
        self._closed = False
        self._readable: anyio.Event | None = None
        self._writable: anyio.Event | None = None
        self.dropped = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> bool:
        """Queue `item`; False (and counted in `dropped`) when full or closed."""
        if self._closed or len(self._items) >= self._size:
            self.dropped += not self._closed
            return False
        self._items.append(item)
        _wake(self._readable)
        return True

    async def put(self, item: T) -> bool:
        """Queue `item`, waiting for room; False if the inbox closed meanwhile."""
        while not self._closed and len(self._items) >= self._size:
            self._writable = anyio.Event()
            await self._writable.wait()
        return self.put_nowait(item)

    def close(self) -> None:
        self._closed = True
        _wake(self._readable)
        _wake(self._writable)

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            if self._items:
                item = self._items.popleft()
                _wake(self._writable)
                yield item
            elif self._closed:
                return
            else:
                self._readable = anyio.Event()
                await self._readable.wait()


def _wake(event: anyio.Event | None) -> None:
    if event is not None:
        event.set()
