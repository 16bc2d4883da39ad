"""What every real-Chromium test shares (a module of its own, so test files can import it)."""

from __future__ import annotations


def watch_csp(context) -> list[str]:  # type: ignore[no-untyped-def]
    """Collect every Content-Security-Policy violation the browser reports in ``context``'s pages."""
    seen: list[str] = []

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and "Content Security Policy" in message.text:
            seen.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("page", lambda tab: tab.on("console", on_console))
    return seen
