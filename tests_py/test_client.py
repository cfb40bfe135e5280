"""The back-end SDK (bizstats.client) against the real collector on MariaDB: a signed business
event is stored; a retry after a lost answer is counted once; a collector that is not there
yet is retried until it is; a refusal is an error naming its status and the `error` of the
collector's answer."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from bizstats.client import Client, CollectorError, event
from tests_py.support.collector import SECRET, SOURCE, live_app, stored_events
from tests_py.support.network import free_port

pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py


def test_a_business_event_is_signed_stored_and_a_resend_counted_once(mysql_target):
    order = event("order_create", user_id="10001", order_id="OD001", amount=Decimal("299.00"),
                  pay_method="credit", timestamp="2024-03-10 02:00:00")
    with live_app(mysql_target) as url:
        client = Client(url, SOURCE, SECRET, retries=0)
        first = client.send_many([order])
        again = client.send_many([order])  # the same ids: a retry after a lost answer
    assert first["new"] == [order["event_id"]] and first["duplicates"] == []
    assert again["new"] == [] and again["duplicates"] == [order["event_id"]]
    assert stored_events(mysql_target, "event_id, event_type, user_id, order_id, amount") == [
        (order["event_id"], "order_create", "10001", "OD001", Decimal("299.00"))
    ]


def test_a_collector_that_comes_up_late_is_retried(mysql_target, monkeypatch):
    """Nothing listens on the port at first: the client backs off and sends when it is up."""
    port = free_port()
    up = threading.Event()

    def serve_later() -> None:
        time.sleep(0.6)
        monkeypatch.setattr("tests_py.support.collector.free_port", lambda: port)
        with live_app(mysql_target):
            up.set()
            time.sleep(5)

    server = threading.Thread(target=serve_later, daemon=True)
    server.start()
    client = Client(f"http://127.0.0.1:{port}", SOURCE, SECRET, retries=6, backoff=0.2)
    answer = client.send("real_name_auth", user_id="10002", timestamp="2024-03-10 03:00:00")
    assert up.is_set()
    assert len(answer["new"]) == 1 and answer["rejected"] == []
    server.join(timeout=10)


def test_a_wrong_secret_is_an_error_naming_the_status(mysql_target):
    with live_app(mysql_target) as url:
        client = Client(url, SOURCE, "not-the-secret", retries=3, backoff=0.01)
        with pytest.raises(CollectorError, match="^401: ") as refused:
            client.send("order_create", user_id="1", order_id="OD2", amount="1.00")
    assert (refused.value.status, refused.value.message) == (401, "bad signature")
    assert stored_events(mysql_target) == []
