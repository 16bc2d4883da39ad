"""/dashboard/manage/: the management menu."""

from __future__ import annotations

from flask import Blueprint

from kiosk.auth import login_required
from kiosk.manage.forms import render

bp = Blueprint("menu", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """The management menu."""
    return render("manage/index.html")
