"""A subscriber in its own process, for the latency benchmark: prints the monotonic
arrival time and the topic of every message, one per line.

A consumer of Doorstep never lives inside the appliance, so the benchmark should not
make it share the appliance's interpreter (and its GIL) either. ``time.perf_counter``
is CLOCK_MONOTONIC on Linux, the same clock in every process, so the parent can compare
these times with its own.

Usage: python -m bench.listen HOST PORT TOPIC [TOPIC ...]
"""

from __future__ import annotations

import sys
import threading
import time

from appliance.publishing.mqtt import plain_client


def main(argv: list[str]) -> int:
    """Subscribe and print '<perf_counter> <topic>' per message until stdin closes."""
    host, port, topics = argv[0], int(argv[1]), argv[2:]
    client = plain_client(f"bench-listen-{time.monotonic_ns()}")
    ready = threading.Event()

    def on_message(c, userdata, msg):  # type: ignore[no-untyped-def]
        sys.stdout.write(f"{time.perf_counter():.9f} {msg.topic}\n")
        sys.stdout.flush()

    client.on_message = on_message
    client.on_subscribe = lambda *args: ready.set()
    client.connect(host, port)
    client.subscribe([(t, 1) for t in topics])
    client.loop_start()
    if ready.wait(10):
        sys.stdout.write("ready\n")
        sys.stdout.flush()
    sys.stdin.read()  # the parent closes our stdin to stop us
    client.disconnect()
    client.loop_stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
