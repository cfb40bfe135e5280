"""Real-time counters in Redis (实时统计): today's event counters of the
metric registry (PV, UV, and every counter or unique counter over events added there) and
the collector's business counters (member purchases, credit orders, member deductions), by
local day, channel and device, updated by the collector for every newly stored event."""
