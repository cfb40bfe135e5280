"""Real-time counters in Redis (design doc §5.2.3, §9.2): today's PV, UV, new members,
credit orders and member deductions, by local day, channel and device, updated by the
collector for every newly stored event."""
