"""The raw input contract (models/docs/sources.md) as data: tables, columns, keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "string" | "text" | "json" | "datetime" | "decimal"
    length: int | None = None
    nullable: bool = True

    @property
    def is_id(self) -> bool:
        """An id (every `*_id` column: event_id, the business keys and the ids that refer to
        them): trimmed at load and compared case-exact, the same on every target."""
        return self.kind == "string" and self.name.endswith("_id")


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    key: str  # the business key: event_id or the table's primary key
    # (the datetimes that put a row's numbers on a local day: the dbt var fact_time_columns,
    # bizstats.project_vars)
    indexes: tuple[str, ...] = ()  # extra single-column indexes (MySQL)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _s(name: str, length: int, nullable: bool = True) -> Column:
    return Column(name, "string", length, nullable)


def _dt(name: str, nullable: bool = True) -> Column:
    return Column(name, "datetime", None, nullable)


def _money(name: str, nullable: bool = True) -> Column:
    return Column(name, "decimal", None, nullable)


TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        RawTable(
            "event_logs",
            (
                _s("event_id", 64, nullable=False),
                _s("event_type", 50, nullable=False),
                _s("user_id", 50),
                _s("device_id", 100),
                _s("session_id", 100),
                _s("page_url", 255),
                _s("page_title", 255),
                _s("order_id", 50),
                _money("amount"),
                Column("extra_data", "json"),
                _s("device_type", 20),
                _s("channel", 50),
                _s("ip_address", 50),
                Column("user_agent", "text"),
                _dt("event_time", nullable=False),
                _dt("created_at"),
            ),
            key="event_id",
            indexes=("event_type", "user_id", "created_at", "session_id", "event_time"),
        ),
        RawTable(
            "users",
            (
                _s("user_id", 50, nullable=False),
                _dt("registered_at"),
                _s("channel", 50),
                _s("device_type", 20),
            ),
            key="user_id",
            indexes=("registered_at",),
        ),
        RawTable(
            "real_name_auths",
            (
                _s("auth_id", 50, nullable=False),
                _s("user_id", 50),
                _s("auth_method", 20),
                _s("status", 20),
                _dt("submitted_at"),
                _dt("approved_at"),
            ),
            key="auth_id",
            indexes=("user_id", "submitted_at"),
        ),
        RawTable(
            "bank_cards",
            (
                _s("bind_id", 50, nullable=False),
                _s("user_id", 50),
                _s("card_type", 20),
                _s("bind_status", 20),
                _dt("bound_at"),
                _dt("unbound_at"),
            ),
            key="bind_id",
            indexes=("user_id",),
        ),
        RawTable(
            "member_orders",
            (
                _s("member_order_id", 50, nullable=False),
                _s("user_id", 50),
                _s("member_type", 20),
                _s("payment_method", 20),
                _money("amount"),
                _s("status", 20),
                _dt("created_at"),
                _dt("paid_at"),
                _dt("effective_at"),
            ),
            key="member_order_id",
            indexes=("user_id", "created_at"),
        ),
        RawTable(
            "orders",
            (
                _s("order_id", 50, nullable=False),
                _s("user_id", 50),
                _s("pay_method", 20),
                _s("status", 20),
                _money("amount"),
                _dt("created_at"),
            ),
            key="order_id",
            indexes=("user_id",),
        ),
        RawTable(
            "deductions",
            (
                _s("deduction_id", 50, nullable=False),
                _s("user_id", 50),
                _s("service_type", 20),
                _money("amount"),
                _s("mode", 20),
                _s("status", 20),
                _dt("deducted_at"),
            ),
            key="deduction_id",
            indexes=("user_id",),
        ),
        RawTable(
            "refunds",
            (
                _s("refund_id", 50, nullable=False),
                _s("deduction_id", 50),
                _money("amount"),
                _s("status", 20),
                _dt("refunded_at"),
            ),
            key="refund_id",
            indexes=("deduction_id",),
        ),
    )
}

LOADED_AT = "_loaded_at"  # added to every raw table: when the row was stored (UTC, microseconds)
ROW_ID = "_row_id"  # surrogate of the business tables: store order within a load
