"""/dashboard/reports: funders' reports on screen, with a chart drawn on the server
(kiosk/charts.py), and as CSV downloads that Excel opens with accents intact (login required)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from appliance.storage import settings
from appliance.views import reports
from kiosk import charts
from kiosk.auth import current_admin, login_required
from kiosk.context import web

bp = Blueprint("reports", __name__, url_prefix="/dashboard/reports")


def _query() -> tuple[str, date, date, str]:
    """The report, range and period from the query string (this month so far by default)."""
    w = web()
    today = w.clock.now().astimezone(w.config.site.zone).date()
    name = request.args.get("report", "footfall")
    period = request.args.get("period", "day")
    start_text = request.args.get("from") or today.replace(day=1).isoformat()
    end_text = request.args.get("to") or today.isoformat()
    try:
        start, end = reports.parse_range(start_text, end_text)
    except reports.ReportError as exc:
        abort(400, description=str(exc))
    return name, start, end, period


def _build() -> tuple[reports.Report, dict[str, Any]]:
    w = web()
    name, start, end, period = _query()
    try:
        report = reports.build(w.db.conn(), w.config, name, start, end, w.clock.now(), period)
    except reports.ReportError as exc:
        abort(400, description=str(exc))
    return report, {"name": name, "start": start, "end": end, "period": period}


@bp.get("/")
@login_required
def index() -> str:
    """Pick a report and a range; see it as a table, with a CSV link."""
    report, chosen = _build()
    w = web()
    site = settings.effective(w.config, w.db.conn()).site  # the name as changed on the Settings page
    chart = charts.labelled_bars(report.chart.bars, report.chart.title) if report.chart and report.chart.bars else None
    return render_template("dashboard/reports.html", site=site, admin=current_admin(),
                           report=report, chosen=chosen, choices=reports.REPORTS, periods=reports.PERIODS, chart=chart)


@bp.get("/report.csv")
@login_required
def csv() -> Response:
    """The same report as a CSV file to download."""
    report, _ = _build()
    return Response(report.to_csv().encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{report.filename}"'})
