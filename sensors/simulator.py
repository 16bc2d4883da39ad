"""Simulated visitors for the demo and the benchmarks: drives MockFactory pins and a pty.

People arrive at a rate shaped by the site's opening hours (quiet mornings, a lunch and
an evening peak), open the door, break the outer then the inner beam with human timings
(about 100 ms apart, each blocked 200-300 ms), stay a while and leave the other way.
Members tap their fob (RDM6300 frames on a pty, now and then a garbled one); now and
then someone steps in and backs out, two come in together, or a pram blocks a beam for
longer than the obstruction limit. Nobody is left inside at closing time.

``speed`` compresses time: the gaps between visitors and the human timings both shrink,
so a whole day can pass in a minute; the order of edges is always kept. The simulated
day starts now if the site is open, else at the next lunchtime the site is open.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import math
import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from gpiozero.pins.mock import MockFactory, MockPin

from appliance.core import hours
from appliance.core.clock import Clock, SystemClock
from appliance.core.config import BeamConfig, Config
from appliance.core.threads import Worker
from appliance.people.fobs import DEMO_CARDS
from sensors.cardframes import encode_rdm6300

log = logging.getLogger(__name__)

# Visitors an hour at the quietest and on top at the peaks (a busy community hub).
BASE_RATE = 45.0
PEAKS = ((12.5, 1.0, 120.0), (18.5, 1.2, 100.0))  # (hour, spread in hours, extra per hour)


@dataclass
class Visitor:
    """Someone in the building (a member has a fob)."""

    number: int
    card: str | None = None


class Simulator(Worker):
    """Drives door, beam and PIR pins (and a fob reader's pty) with believable traffic."""

    def __init__(
        self,
        config: Config,
        factory: MockFactory,
        speed: float = 1.0,
        seed: int | None = None,
        clock: Clock | None = None,
        card_feed: int | None = None,
    ) -> None:
        super().__init__("simulator", join_seconds=5)
        self.config = config
        self.factory = factory
        self.speed = max(speed, 0.01)
        self.random = random.Random(seed)
        self.clock = clock or SystemClock()
        self.card_feed = card_feed
        self.zone = config.site.zone
        self.sim_now = self._first_moment(self.clock.now())
        # Ground truth, for tests and benchmarks to compare the sensors with.
        self.entered = 0
        self.left = 0
        self.backed_out = 0
        self.obstructions = 0
        self.taps = 0
        self.inside: dict[int, Visitor] = {}
        self._ids = itertools.count(1)
        self._order = itertools.count()
        self._queue: list[tuple[datetime, int, str, Visitor | None]] = []

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Close the doors, clear the beams, and start simulating on a background thread."""
        self.settle()
        super().start()

    def settle(self) -> None:
        """Put every pin in its quiet state: doors closed, beams clear, no motion."""
        for door in self.config.doors:
            self._level(self.factory.pin(door.pin), door.closed_when == "high")
        for beam in self.config.beams:
            for pin in (beam.outer_pin, beam.inner_pin):
                self._level(self.factory.pin(pin), beam.blocked_when != "high")
        for pir in self.config.pir:
            self.factory.pin(pir.pin).drive_low()

    # -- time -----------------------------------------------------------------------

    def _sleep(self, seconds: float) -> bool:
        """Wait simulated ``seconds``; False when stopping."""
        return self.sleep(max(seconds, 0) / self.speed)

    def _hours(self, day: datetime) -> tuple[datetime, datetime] | None:
        found = hours.site_window(self.config, day.astimezone(self.zone).date())
        return None if found is None else (found[0].astimezone(UTC), found[1].astimezone(UTC))

    def _window(self, moment: datetime) -> tuple[datetime, datetime]:
        """The opening window containing ``moment`` or the next one."""
        for days in range(8):
            hours = self._hours(moment + timedelta(days=days))
            if hours and hours[1] > moment:
                return hours
        raise RuntimeError("the site is never open: nothing to simulate")  # pragma: no cover

    def _first_moment(self, now: datetime) -> datetime:
        opens, closes = self._window(now)
        if opens <= now:
            return now
        # Closed now: start at the next lunchtime (the busiest hour), or as near as the hours allow.
        local = opens.astimezone(self.zone)
        noon = datetime.combine(local.date(), time(12, 0), self.zone).astimezone(UTC)
        return max(opens, min(noon, closes - timedelta(hours=1)))

    def _rate(self, moment: datetime) -> float:
        """Visitors an hour at a moment of the day."""
        local = moment.astimezone(self.zone)
        hour = local.hour + local.minute / 60
        return BASE_RATE + sum(extra * math.exp(-(((hour - h) / spread) ** 2) / 2) for h, spread, extra in PEAKS)

    # -- the schedule ---------------------------------------------------------------

    def _push(self, when: datetime, action: str, visitor: Visitor | None = None) -> None:
        heapq.heappush(self._queue, (when, next(self._order), action, visitor))

    def _next_arrival(self, after: datetime) -> None:
        opens, closes = self._window(after)
        moment = max(after, opens)
        moment += timedelta(hours=self.random.expovariate(self._rate(moment)))
        last_call = closes - timedelta(minutes=20)
        if moment > last_call:
            # Nobody new this late: the next arrival is in the next opening window.
            opens, _ = self._window(closes + timedelta(minutes=1))
            moment = opens + timedelta(hours=self.random.expovariate(self._rate(opens)))
        self._push(moment, "arrive")

    def _stay(self, arrived: datetime) -> datetime:
        _, closes = self._window(arrived)
        roll = self.random.random()
        if roll < 0.1:
            minutes = self.random.uniform(0.2, 1)  # a parcel, a key, a look at the notice board
        elif roll < 0.35:
            minutes = self.random.uniform(1, 5)  # dropping something off, asking the way
        else:
            minutes = self.random.uniform(20, 150)
        leave = arrived + timedelta(minutes=minutes)
        return min(leave, closes - timedelta(minutes=self.random.uniform(1, 15)))

    def loop(self) -> None:
        try:
            self._next_arrival(self.sim_now)
            while self._queue and not self.stopping:
                when, _, action, visitor = heapq.heappop(self._queue)
                gap = (when - self.sim_now).total_seconds()
                # Skip the night: the gap between closing and opening passes at once.
                if gap > 3600 and not self.inside:
                    gap = 0
                if not self._sleep(gap):
                    return
                self.sim_now = max(self.sim_now, when)
                if action == "arrive":
                    self._arrive()
                    self._next_arrival(self.sim_now)
                elif action == "leave" and visitor is not None:
                    self._leave(visitor)
        except Exception:  # the demo must go on without the simulator rather than crash
            log.exception("the simulator stopped")

    def _arrive(self) -> None:
        roll = self.random.random()
        if roll < 0.03:
            self._walk(inward=True, back_out=True)
            self.backed_out += 1
            return
        if roll < 0.035 and self.config.beams:
            self._obstruct(self.config.beams[0])
        group = 2 if self.random.random() < 0.2 else 1
        members_out = [c for c in DEMO_CARDS.values() if c not in {v.card for v in self.inside.values()}]
        visitors = []
        for _ in range(group):
            card = None
            if members_out and self.random.random() < 0.25:
                card = members_out.pop(self.random.randrange(len(members_out)))
            visitors.append(Visitor(next(self._ids), card))
        for v in visitors:
            if v.card:
                self._tap(v.card)
        self._through_door(inward=True, people=len(visitors))
        for v in visitors:
            self.inside[v.number] = v
            self.entered += 1
            self._push(self._stay(self.sim_now), "leave", v)

    def _leave(self, visitor: Visitor) -> None:
        if visitor.card:
            self._tap(visitor.card)
        self._through_door(inward=False, people=1)
        self.inside.pop(visitor.number, None)
        self.left += 1

    # -- the hardware ---------------------------------------------------------------

    @staticmethod
    def _level(pin: MockPin, high: bool) -> None:
        if high:
            pin.drive_high()
        else:
            pin.drive_low()

    def _door(self, is_open: bool) -> None:
        if not self.config.doors:
            return
        door = self.config.doors[0]
        closed_high = door.closed_when == "high"
        self._level(self.factory.pin(door.pin), closed_high != is_open)

    def _beam(self, beam: BeamConfig, pin: int, blocked: bool) -> None:
        self._level(self.factory.pin(pin), (beam.blocked_when == "high") == blocked)

    def _motion(self) -> None:
        for pir in self.config.pir:
            pin = self.factory.pin(pir.pin)
            pin.drive_high()
            pin.drive_low()

    def _through_door(self, *, inward: bool, people: int) -> None:
        # A visit in progress always finishes (stopping only skips the waits), so the
        # ground truth counts match what the sensors saw.
        self._door(True)
        self._sleep(self.random.uniform(0.4, 0.9))
        for i in range(people):
            if i:
                self._sleep(self.random.uniform(0.4, 0.8))  # the second one, just behind
            self._walk(inward=inward, back_out=False)
        self._motion()
        self._sleep(self.random.uniform(1.5, 3.5))  # the door closer
        self._door(False)

    def _walk(self, *, inward: bool, back_out: bool) -> None:
        """One person through (or into and back out of) the first beam pair."""
        if not self.config.beams:
            return
        beam = self.config.beams[0]
        first, second = (beam.outer_pin, beam.inner_pin) if inward else (beam.inner_pin, beam.outer_pin)
        step = self.random.uniform(0.08, 0.12)
        blocked = self.random.uniform(0.2, 0.3)
        self._beam(beam, first, True)
        self._sleep(step)
        self._beam(beam, second, True)
        if back_out:
            self._sleep(blocked - step)
            self._beam(beam, second, False)  # thought better of it
            self._sleep(step)
            self._beam(beam, first, False)
            return
        self._sleep(blocked - step)
        self._beam(beam, first, False)
        self._sleep(step)
        self._beam(beam, second, False)

    def _obstruct(self, beam: BeamConfig) -> None:
        """A pram parked across the outer beam, longer than the obstruction limit (real time)."""
        self.obstructions += 1
        self._beam(beam, beam.outer_pin, True)
        self.sleep(beam.obstruction_seconds + self.random.uniform(1, 2))
        self._beam(beam, beam.outer_pin, False)

    def _tap(self, card: str) -> None:
        """A fob held to the reader: the module repeats its frame; now and then one is garbled."""
        if self.card_feed is None:
            return
        frame = encode_rdm6300(card)
        frames = []
        if self.random.random() < 0.05:
            garbled = bytearray(frame)
            garbled[self.random.randrange(1, 13)] ^= 0x01
            frames.append(bytes(garbled))
        frames += [frame] * self.random.randint(1, 3)
        try:
            for f in frames:
                os.write(self.card_feed, f)
        except OSError as exc:
            log.debug("fob reader pty not writable: %s", exc)
            return
        self.taps += 1
        self._sleep(self.random.uniform(0.5, 1.5))


class FobPty:
    """A pseudo-terminal standing in for a serial fob reader, reachable at ``link``.

    The card reader opens ``link`` (a symlink, as /dev/serial/by-id/ paths are); the
    simulator writes frames to ``master``.
    """

    def __init__(self, link: str | os.PathLike[str]) -> None:
        import pty
        import tty

        self.master, self.slave = pty.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.link = os.fspath(link)
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(os.ttyname(self.slave), self.link)

    def close(self) -> None:
        """Take the reader away."""
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if os.path.lexists(self.link):
            os.unlink(self.link)
