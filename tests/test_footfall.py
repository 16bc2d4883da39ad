"""The direction state machine of a beam pair: examples, then properties over any edge sequence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.footfall import (
    INNER,
    OUTER,
    Cleared,
    Footfall,
    FootfallError,
    Obstructed,
    Outcome,
    Pass,
)


def run(machine: Footfall, edges: list[tuple[str, bool]], start: float = 0.0, step: float = 0.1) -> list[Outcome]:
    out: list[Outcome] = []
    now = start
    for beam, blocked in edges:
        now += step
        out += machine.edge(beam, blocked, now)
    return out


IN_WALK = [(OUTER, True), (INNER, True), (OUTER, False), (INNER, False)]
OUT_WALK = [(INNER, True), (OUTER, True), (INNER, False), (OUTER, False)]
BACK_OUT = [(OUTER, True), (INNER, True), (INNER, False), (OUTER, False)]


def test_outer_both_inner_clear_is_one_in() -> None:
    machine = Footfall()
    assert run(machine, IN_WALK) == [Pass("in")]
    assert (machine.ins, machine.outs) == (1, 0)


def test_the_reverse_is_one_out() -> None:
    machine = Footfall()
    assert run(machine, OUT_WALK) == [Pass("out")]
    assert (machine.ins, machine.outs) == (0, 1)


def test_stepping_in_and_backing_out_counts_nothing() -> None:
    machine = Footfall()
    assert run(machine, BACK_OUT) == []
    assert run(machine, [(OUTER, True), (OUTER, False)]) == []
    assert (machine.ins, machine.outs) == (0, 0)


def test_two_people_in_quick_succession_count_two() -> None:
    machine = Footfall()
    assert run(machine, IN_WALK + IN_WALK, step=0.05) == [Pass("in"), Pass("in")]


def test_a_second_person_on_the_outer_beam_while_the_first_is_on_the_inner_one() -> None:
    machine = Footfall()
    tailgate = [(OUTER, True), (INNER, True), (OUTER, False),  # A reaches the inner beam alone
                (OUTER, True),  # B arrives before A has cleared the inner beam
                (INNER, False), (INNER, True), (OUTER, False), (INNER, False)]
    assert run(machine, tailgate) == [Pass("in"), Pass("in")]


def test_repeated_levels_change_nothing() -> None:
    machine = Footfall()
    doubled = [edge for edge in IN_WALK for _ in range(2)]
    assert run(machine, doubled) == [Pass("in")]


def test_a_beam_blocked_too_long_is_an_obstruction_and_counting_recovers() -> None:
    machine = Footfall(obstruction_seconds=5)
    assert machine.edge(OUTER, True, 0.0) == []
    assert machine.tick(4.9) == []
    assert machine.tick(5.0) == [Obstructed(OUTER)]
    assert machine.tick(9.0) == []  # reported once
    assert machine.edge(INNER, True, 10.0) == []
    assert machine.edge(OUTER, False, 10.1) == []  # someone squeezing past is not counted
    assert machine.edge(INNER, False, 10.2) == [Cleared()]
    assert run(machine, IN_WALK, start=11) == [Pass("in")]


def test_both_beams_blocked_too_long() -> None:
    machine = Footfall(obstruction_seconds=2)
    machine.edge(OUTER, True, 0.0)
    machine.edge(INNER, True, 0.0)
    assert machine.tick(2.5) == [Obstructed("both")]


def test_an_unknown_beam_is_a_clear_error() -> None:
    with pytest.raises(FootfallError, match="'middle'"):
        Footfall().edge("middle", True, 0.0)


# -- properties -----------------------------------------------------------------------

edges = st.lists(
    st.tuples(st.sampled_from([OUTER, INNER]), st.booleans(), st.floats(0, 8, allow_nan=False)),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(edges)
def test_any_edge_sequence_is_handled_and_counts_are_consistent(sequence: list[tuple[str, bool, float]]) -> None:
    machine = Footfall(obstruction_seconds=5)
    now = 0.0
    passes: list[Pass] = []
    obstructed = False
    for beam, blocked, gap in sequence:
        now += gap
        for outcome in machine.tick(now) + machine.edge(beam, blocked, now):
            if isinstance(outcome, Pass):
                passes.append(outcome)
            elif isinstance(outcome, Obstructed):
                assert not obstructed, "an obstruction is reported once"
                obstructed = True
            else:
                assert obstructed, "cleared only after an obstruction"
                obstructed = False
                assert not any(machine.blocked.values())
        assert machine.ins >= 0 and machine.outs >= 0
    assert machine.ins == sum(p.direction == "in" for p in passes)
    assert machine.outs == sum(p.direction == "out" for p in passes)


WALKS = {"in": IN_WALK, "out": OUT_WALK, "back_in": BACK_OUT,
         "back_out": [(INNER, True), (OUTER, True), (OUTER, False), (INNER, False)]}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(WALKS)), max_size=40),
    st.lists(st.floats(0.01, 0.4), min_size=4, max_size=4),
    st.booleans(),
)
def test_in_minus_out_equals_completed_passes(walks: list[str], timings: list[float], bounce: bool) -> None:
    """People walking through (with human timings, and repeated levels as a noisy line gives)."""
    machine = Footfall(obstruction_seconds=5)
    now = 0.0
    for walk in walks:
        for (beam, blocked), gap in zip(WALKS[walk], timings, strict=True):
            now += gap
            machine.edge(beam, blocked, now)
            if bounce:
                machine.edge(beam, blocked, now)
        now += 0.05
    assert machine.ins == walks.count("in")
    assert machine.outs == walks.count("out")
    assert machine.ins - machine.outs == walks.count("in") - walks.count("out")
