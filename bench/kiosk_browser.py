"""Chromium as the kiosk unit runs it, for the memory benchmark (bench_memory).

The flags are read from systemd/doorstep-kiosk.service, so the benchmark follows the unit
when it changes. Two differences, the same for the kiosk and for the floor: there is no
cage (Wayland) on a benchmark machine, so Chromium runs ``--headless=new`` at the
official touchscreen's 800x480; and as root it needs ``--no-sandbox``.

The floor is Chromium alone showing a static page of the same size: the kiosk's home page
as the web role served it, its scripts taken out (nothing live) and padded back to the
same number of bytes, served with its stylesheets by a plain file server (FullPageOS's
kind of kiosk).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bench.procs import ROOT, Proc

UNIT = ROOT / "systemd" / "doorstep-kiosk.service"
SCREEN = "800,480"  # the official 7" touchscreen
# the unit's flags that cannot apply here: no Wayland compositor, and our own profile dir
NOT_HERE = ("--ozone-platform", "--user-data-dir")
SCRIPT = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)


def flags_from_unit(unit_text: str) -> list[str]:
    """Chromium's ``--`` flags from the unit's ExecStart (continued lines joined), less
    those that cannot apply on a benchmark machine."""
    joined = re.sub(r"\\\n\s*", " ", unit_text)
    for line in joined.splitlines():
        if line.startswith("ExecStart=") and "chromium" in line:
            words = line.split("chromium", 1)[1].split()
            return [w for w in words if w.startswith("--") and not w.startswith(NOT_HERE)]
    raise ValueError("no ExecStart line running chromium in the kiosk unit")


def static_twin(html: str) -> str:
    """The page with its scripts taken out, padded with a comment back to the same size in bytes."""
    still = SCRIPT.sub("", html)
    missing = len(html.encode()) - len(still.encode())
    pad = ("<!--" + "x" * (missing - 7) + "-->") if missing >= 7 else " " * missing
    return still.replace("</body>", pad + "</body>", 1) if "</body>" in still else still + pad


def chromium() -> str | None:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def kiosk_chromium(url: str, profile: Path) -> Proc:
    """Chromium with the kiosk unit's flags showing ``url`` (not started)."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed")
    flags = flags_from_unit(UNIT.read_text(encoding="utf-8"))
    extra = ["--headless=new", f"--window-size={SCREEN}", f"--user-data-dir={profile}", "--no-sandbox"]
    return Proc([binary, *flags, *extra, url])
