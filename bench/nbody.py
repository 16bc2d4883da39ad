"""The Computer Language Benchmarks Game's n-body in pure Python (as in pyperformance's
``bm_nbody``): the single-core yardstick that sets the Pi-sized CPU budget (bench_pi).

``python -m bench.nbody STEPS`` prints the seconds STEPS steps took in a fresh interpreter.
Published timings of the same program on a Raspberry Pi, against this machine's, give the
fraction of one of this machine's cores that a Pi core is worth (see bench_pi.py).
"""

from __future__ import annotations

import sys
import time

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24

Body = tuple[list[float], list[float], float]


def bodies() -> list[Body]:
    """The sun and the four gas giants: position (AU), velocity (AU/year), mass."""
    d = DAYS_PER_YEAR
    return [
        ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SOLAR_MASS),
        ([4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01],
         [1.66007664274403694e-03 * d, 7.69901118419740425e-03 * d, -6.90460016972063023e-05 * d],
         9.54791938424326609e-04 * SOLAR_MASS),
        ([8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01],
         [-2.76742510726862411e-03 * d, 4.99852801234917238e-03 * d, 2.30417297573763929e-05 * d],
         2.85885980666130812e-04 * SOLAR_MASS),
        ([1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01],
         [2.96460137564761618e-03 * d, 2.37847173959480950e-03 * d, -2.96589568540237556e-05 * d],
         4.36624404335156298e-05 * SOLAR_MASS),
        ([1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01],
         [2.68067772490389322e-03 * d, 1.62824170038242295e-03 * d, -9.51592254519715870e-05 * d],
         5.15138902046611451e-05 * SOLAR_MASS),
    ]


def advance(system: list[Body], dt: float, steps: int) -> None:
    """Move the bodies ``steps`` steps of ``dt`` (the benchmark's hot loop, unchanged)."""
    pairs = [(system[i], system[j]) for i in range(len(system) - 1) for j in range(i + 1, len(system))]
    for _ in range(steps):
        for ([x1, y1, z1], v1, m1), ([x2, y2, z2], v2, m2) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** (-1.5))
            b1m, b2m = m1 * mag, m2 * mag
            v1[0] -= dx * b2m
            v1[1] -= dy * b2m
            v1[2] -= dz * b2m
            v2[0] += dx * b1m
            v2[1] += dy * b1m
            v2[2] += dz * b1m
        for r, [vx, vy, vz], _m in system:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz


def main(argv: list[str]) -> int:
    """Time STEPS steps and print the seconds."""
    steps = int(argv[0]) if argv else 200_000
    start = time.perf_counter()
    advance(bodies(), 0.01, steps)
    print(f"{time.perf_counter() - start:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
