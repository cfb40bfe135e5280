"""The event collector (`bizstats serve`): browsers and back-end services report events,
stored exactly once in `event_logs` (MySQL) or a durable spool (DuckDB), counted in Redis."""

from __future__ import annotations

from fastapi import APIRouter

from bizstats.config import Target
from bizstats.web.collect.routes import collector_router
from bizstats.web.collect.service import Collector


def router(target: Target) -> APIRouter:
    """The collector's router for the warehouse `target`."""
    return collector_router(Collector(target))


__all__ = ["router"]
