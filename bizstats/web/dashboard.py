"""The dashboard (统计报表展示 and 数据质量监控看板) served at `/`: one
static page and its assets, shipped in the package (bizstats/web/static/dashboard, ECharts
vendored from npm: no CDN, it works with no internet). The page reads the query API with a
read key the user enters once (kept in the browser's localStorage)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static" / "dashboard"


def add_dashboard(app: FastAPI) -> None:
    """Serve the page at `/` and its assets under `/dashboard/`."""
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
