"""One background thread with a name, started and stopped the same way everywhere.

The recorder, the publisher, housekeeping, the change watcher, the watchdog, the sensor
poller, the card reader and the simulator each run one loop on a daemon thread. They
subclass :class:`Worker` and write only their loop (:meth:`Worker.loop`) and, when the
loop can be blocked on something other than :meth:`Worker.sleep`, how to wake it.
"""

from __future__ import annotations

import threading


class Worker:
    """A loop on its own named daemon thread: :meth:`start`, :meth:`stop`, :meth:`is_alive`."""

    def __init__(self, name: str, join_seconds: float = 5.0) -> None:
        self.thread_name = name
        self.join_seconds = join_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def loop(self) -> None:
        """The work of the thread; return when :attr:`stopping` is set."""
        raise NotImplementedError

    def wake(self) -> None:
        """Unblock the loop so it sees :attr:`stopping` (override when it waits on a queue)."""

    @property
    def stopping(self) -> bool:
        """stop() has been called."""
        return self._stopping.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stop(); True while the worker should go on."""
        return not self._stopping.wait(max(seconds, 0.0))

    def start(self) -> None:
        """Start the thread (again, after a stop); does nothing while it runs."""
        if self.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self.loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end, wake it, and wait up to ``join_seconds`` for it."""
        self._stopping.set()
        self.wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.join_seconds)

    def is_alive(self) -> bool:
        """The thread is running."""
        return bool(self._thread and self._thread.is_alive())
