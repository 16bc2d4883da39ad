"""What Doorstep says by itself, in the site's language: the status sentence on the
display, /status.txt and MQTT (appliance.views.public), whichever role builds it.

The words come from the same GNU gettext catalogs as the screens (kiosk/translations,
compiled .mo files). This floor cannot know where another package keeps them, so each
role names the folder once as it starts (:func:`use_catalogs`: the web app in
kiosk/i18n.py, the agent in doorstep/agent.py). Until then, and for a language without a
catalog, the words are English.
"""

from __future__ import annotations

import gettext
import threading
from pathlib import Path
from typing import Protocol


class Words(Protocol):
    """A catalog's lookup (what ``gettext.NullTranslations`` and Babel's catalogs offer).
    No plural forms: Welsh has five, so the sentences are written not to need them."""

    def gettext(self, message: str, /) -> str:
        """``message`` in the catalog's language."""


ENGLISH: Words = gettext.NullTranslations()
DOMAIN = "messages"

_lock = threading.Lock()
_folders: list[Path] = []
_loaded: dict[str, Words] = {}


def use_catalogs(folder: str | Path) -> None:
    """Look for catalogs (``<folder>/<lang>/LC_MESSAGES/messages.mo``) in ``folder`` too."""
    path = Path(folder)
    with _lock:
        if path not in _folders:
            _folders.append(path)
            _loaded.clear()


def words(lang: str) -> Words:
    """The catalog of ``lang`` (English when there is none)."""
    if lang == "en":
        return ENGLISH
    with _lock:
        found = _loaded.get(lang)
        if found is None:
            found = ENGLISH
            for folder in _folders:
                try:
                    found = gettext.translation(DOMAIN, localedir=str(folder), languages=[lang])
                    break
                except OSError:  # no catalog for this language in that folder
                    continue
            _loaded[lang] = found
        return found
