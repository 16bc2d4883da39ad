"""Who someone is from what they type at the kiosk: their member number *and* their surname.

A member number is not a secret (it is printed on cards and lists), so on its own it must
not sign anyone in or show anyone's name. With it the person types their surname, matched
without regard to case, accents or spacing against the last word or words of the name on
record: "Gwyn", "ap Gwyn" and "AP GWYN" all match "Llŷr ap Gwyn", and "Siân" types as
"Sian" on a keyboard without accents. Misses are paused like a PIN by the caller
(appliance/people/lockout.py): the answer is the same whether the number exists or not.
"""

from __future__ import annotations

import sqlite3
import unicodedata

from appliance.people import register

MAX_SURNAME = 120


def fold(text: str) -> str:
    """Text as surnames are compared: case-folded, accents dropped, hyphens and
    apostrophes as spaces, spacing collapsed ("Llŷr ap-Gwyn" -> "llyr ap gwyn")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for mark in "-'’‘`.":
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


def surname_matches(name: str, surname: str) -> bool:
    """Whether ``surname`` is the last word, or last words, of ``name`` (never the whole
    first name alone: a one-word name matches only itself)."""
    typed = fold(surname).split()
    words = fold(name).split()
    if not typed or not words:
        return False
    return len(typed) <= len(words) and words[-len(typed):] == typed


def by_number_and_surname(conn: sqlite3.Connection, number: str, surname: str) -> register.Person | None:
    """The active person with this member number whose surname matches, or None (the same
    None for an unknown number and a wrong surname)."""
    if not surname.strip() or len(surname) > MAX_SURNAME:
        return None
    person = register.by_member_number(conn, number[: register.MAX_NUMBER])
    if person is None or not surname_matches(person.name, surname):
        return None
    return person


def by_whole_name(conn: sqlite3.Connection, name: str) -> register.Person | None:
    """The one active person whose whole name this is (two of the same name: None, and the
    kiosk asks for the number and surname)."""
    found = register.by_exact_name(conn, name)
    return found[0] if len(found) == 1 else None
