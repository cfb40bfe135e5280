"""A change of the monitoring thresholds in the audit trail (审计日志): when the checks run
with a monitoring config whose thresholds differ from those of the last audited change,
one row `monitoring thresholds changed` (who: `checks`), its arguments the file, the
thresholds' hash and the keys (check/metric/channel/device_type) added, removed and
changed; the same thresholds again write nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path

from bizstats import audit_log
from bizstats.checks.config import Threshold
from bizstats.config import Target

WHAT = "monitoring thresholds changed"
WHO = "checks"


def _digests(thresholds: Sequence[Threshold]) -> dict[str, str]:
    """Each threshold's key -> a short digest of its values."""
    return {
        f"{t.check_name}/{t.metric}/{t.channel}/{t.device_type}":
            hashlib.sha256(repr(astuple(t)).encode()).hexdigest()[:12]
        for t in thresholds
    }


def audit_thresholds(target: Target, path: Path, thresholds: Sequence[Threshold]) -> bool:
    """Write the row when the thresholds differ from the last audited ones; whether it did."""
    digests = _digests(thresholds)
    content = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()
    last = audit_log.last_entry(target.control, WHAT)  # Spark: the control database's trail
    before: dict[str, str] = {}
    if last is not None:
        stored = json.loads(last.arguments)
        if stored.get("sha256") == content:
            return False
        before = stored.get("keys", {})
    audit_log.record(target.control, audit_log.Entry(
        who=WHO, what=WHAT, target=target.name,
        arguments={
            "file": str(path), "sha256": content, "keys": digests,
            "added": sorted(digests.keys() - before.keys()),
            "removed": sorted(before.keys() - digests.keys()),
            "changed": sorted(k for k in digests.keys() & before.keys() if digests[k] != before[k]),
        },
    ))
    return True
