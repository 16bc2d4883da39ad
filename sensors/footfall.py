"""Which way someone walked through a pair of IR break-beams: a pure state machine.

The outer beam is on the street side, the inner one inside. The machine sees only edges
(a beam became blocked or clear, with a monotonic time) and says what they mean; it does
no I/O, so the sensor, the tests and the property tests drive it the same way.

The rule is about *excursions*: the time between two moments when both beams are clear.
An excursion that starts on the outer beam and ends with the inner beam alone is one IN;
the mirror image is one OUT. Anything else (stepping in and backing out, a dog sniffing
the outer beam) counts nothing. Edges change one beam at a time, so such an excursion
always went through "both blocked" on the way.

Two people in quick succession usually leave a gap with both beams clear between them.
When they don't (the second breaks the outer beam while the first is still on the inner
one), the first is counted at that moment and a new excursion starts for the second:
a newcomer is far likelier than someone turning back after reaching the inner beam.

A beam blocked longer than ``obstruction_seconds`` is an obstruction (a pram, a box, a
misaligned beam): the excursion in progress is abandoned, and counting resumes once both
beams are clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OUTER = "outer"
INNER = "inner"
IN = "in"
OUT = "out"


class FootfallError(Exception):
    """An edge the machine cannot understand (a beam name that is not outer or inner)."""


@dataclass(frozen=True)
class Pass:
    """Someone walked through: ``direction`` is 'in' or 'out'."""

    direction: str


@dataclass(frozen=True)
class Obstructed:
    """A beam (``which``: outer, inner or both) has been blocked too long."""

    which: str


@dataclass(frozen=True)
class Cleared:
    """Both beams are clear again after an obstruction."""


Outcome = Pass | Obstructed | Cleared


@dataclass
class Footfall:
    """The direction state machine for one beam pair."""

    obstruction_seconds: float = 5.0
    ins: int = 0
    outs: int = 0
    blocked_since: dict[str, float] = field(default_factory=dict)  # the beams blocked now
    origin: str | None = None  # the beam this excursion started on
    obstructed: bool = False

    @property
    def blocked(self) -> dict[str, bool]:
        """Each beam: blocked now."""
        return {OUTER: OUTER in self.blocked_since, INNER: INNER in self.blocked_since}

    def edge(self, beam: str, is_blocked: bool, now: float) -> list[Outcome]:
        """A beam changed (or reported the level it already had); return what it means."""
        if beam not in (OUTER, INNER):
            raise FootfallError(f"beam {beam!r} is neither {OUTER!r} nor {INNER!r}")
        outcomes = self.tick(now)
        if (beam in self.blocked_since) == is_blocked:
            return outcomes  # a repeated level: nothing moved
        before = self._level()
        if is_blocked:
            self.blocked_since[beam] = now
        else:
            self.blocked_since.pop(beam, None)
        after = self._level()
        if self.obstructed:
            if after == "clear":
                self.obstructed = False
                self.origin = None
                outcomes.append(Cleared())
            return outcomes
        if before == "clear":
            self.origin = beam  # an excursion starts on this beam
        elif after == "both" and self.origin is not None and before == _other(self.origin):
            # Someone reached the far beam alone and a newcomer breaks the near one.
            outcomes.append(self._count(self.origin))
        elif after == "clear" and self.origin is not None:
            if before == _other(self.origin):
                outcomes.append(self._count(self.origin))
            self.origin = None
        return outcomes

    def tick(self, now: float) -> list[Outcome]:
        """Let time pass: report an obstruction once a beam has been blocked too long."""
        if self.obstructed:
            return []
        stuck = [b for b, since in self.blocked_since.items() if now - since >= self.obstruction_seconds]
        if not stuck:
            return []
        self.obstructed = True
        self.origin = None
        return [Obstructed("both" if len(stuck) == 2 else stuck[0])]

    def _count(self, origin: str) -> Pass:
        if origin == OUTER:
            self.ins += 1
            return Pass(IN)
        self.outs += 1
        return Pass(OUT)

    def _level(self) -> str:
        outer, inner = OUTER in self.blocked_since, INNER in self.blocked_since
        if outer and inner:
            return "both"
        if outer:
            return OUTER
        if inner:
            return INNER
        return "clear"


def _other(beam: str) -> str:
    return INNER if beam == OUTER else OUTER
