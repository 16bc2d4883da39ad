#!/usr/bin/env python3
"""The screen of the emulated boot (`make image-boot`), through QEMU's QMP socket.

    qmp-screen.py shot SOCKET OUT.png   take a screendump, keep it as a PNG, and say
                                        whether it shows the kiosk's page (exit 0) or
                                        not (exit 1, with the reason)
    qmp-screen.py quit SOCKET           stop QEMU

Standard library only: the screendump is asked for as PPM (which QEMU writes in any
build), read here, judged by the kiosk's colours (kiosk/static/kiosk.css: a white page,
the accent blue of its tiles and buttons, near-black text) and written out as PNG.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import tempfile
import zlib
from pathlib import Path

WHITE = (255, 255, 255)  # --bg
ACCENT = (0x0A, 0x4F, 0x96)  # --accent: tiles and primary buttons
TEXT = (0x11, 0x11, 0x11)  # --fg


def qmp(path: str, command: str, arguments: dict | None = None) -> dict:
    """Run one QMP command and return its answer (events are skipped)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(path)
        reader = sock.makefile("r")
        json.loads(reader.readline())  # the greeting
        for message in (
            {"execute": "qmp_capabilities"},
            {"execute": command, "arguments": arguments or {}},
        ):
            sock.sendall(json.dumps(message).encode() + b"\n")
            while True:
                answer = json.loads(reader.readline())
                if "return" in answer or "error" in answer:
                    break
            if "error" in answer:
                raise RuntimeError(f"QMP {message['execute']}: {answer['error'].get('desc')}")
        return answer


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:
        while data[at : at + 1].isspace():
            at += 1
        if data[at : at + 1] == b"#":
            at = data.index(b"\n", at) + 1
            continue
        end = at
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[at:end])
        at = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[at + 1 : at + 1 + width * height * 3]


def write_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    stride = width * 3
    raw = b"".join(b"\0" + rgb[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def judge(width: int, height: int, rgb: bytes) -> tuple[bool, str]:
    """Whether the picture looks like the kiosk's page, and what was counted."""

    def near(pixel: tuple[int, ...], colour: tuple[int, int, int], slack: int = 24) -> bool:
        return all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=True))

    # Every 4th pixel of every 4th row is plenty for shares of the screen.
    samples = [
        tuple(rgb[i : i + 3])
        for y in range(0, height, 4)
        for i in range(y * width * 3, (y + 1) * width * 3, 12)
    ]
    total = len(samples)
    white = sum(near(p, WHITE, 8) for p in samples) / total
    accent = sum(near(p, ACCENT) for p in samples) / total
    dark = sum(near(p, TEXT, 40) for p in samples) / total
    distinct = len(set(samples))
    text = f"{width}x{height}, {distinct} colours; white {white:.1%}, accent blue {accent:.1%}, text {dark:.1%}"
    if distinct == 1:
        return False, f"the screen is all one colour ({text})"
    if white < 0.25:
        return False, f"too little of the kiosk's white page ({text})"
    if accent < 0.005:
        return False, f"none of the kiosk's accent blue (tiles, buttons) ({text})"
    if dark < 0.001:
        return False, f"no dark text on it ({text})"
    return True, text


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "shot":
        with tempfile.TemporaryDirectory() as folder:
            ppm = Path(folder) / "screen.ppm"
            qmp(argv[1], "screendump", {"filename": str(ppm)})
            width, height, rgb = read_ppm(ppm)
        write_png(Path(argv[2]), width, height, rgb)
        ok, text = judge(width, height, rgb)
        print(text)
        return 0 if ok else 1
    if len(argv) == 2 and argv[0] == "quit":
        qmp(argv[1], "quit")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
