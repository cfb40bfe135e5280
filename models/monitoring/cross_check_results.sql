{{
    config(
        unique_key=['stat_date', 'channel', 'device_type', 'metric'],
        post_hook=["{{ ensure_indexes([['stat_date', 'passed']],
            unique=[['stat_date', 'channel', 'device_type', 'metric']],
            int_columns=['passed']) }}"]
    )
}}
{#- Cross-checks (交叉校验): daily_stats against the sum of its hours in
    hourly_stats, one row per (stat_date, channel, device_type, metric) of the monitoring
    range, for every registry metric of daily_stats but the ratios — the rule of
    macros/generic_tests/daily_hourly_comparison.sql, the same the build's test
    daily_stats_match_hourly_stats applies: additive metrics (rule `sum`), the day equals the
    sum of its hours; distinct counts (`distinct`), between the largest hourly value and the
    sum of the hours; cumulative metrics (`end_of_day`), the day's value equals hour 23's. A
    slice with no hourly rows fails. The real-time counters' check (offline vs real-time
    within 5%) is a hook in bizstats.checks. -#}
{%- set r = monitoring_range() %}

with

compared as (
    {{ daily_hourly_comparison(r.start, r.end) | indent(4) }}
)

select
    compared.stat_date,
    {{ as_string('compared.channel', 50) }} as channel,
    {{ as_string('compared.device_type', 20) }} as device_type,
    {{ as_string('compared.metric', 64) }} as metric,
    {{ as_string('compared.rule_name', 20) }} as rule_name,
    compared.daily_value,
    compared.hourly_low,
    compared.hourly_high,
    {{ as_int(
        "case when compared.daily_value between compared.hourly_low and compared.hourly_high then 1 else 0 end"
    ) }} as passed,
    {{ datetime_value(check_time()) }} as checked_at
from compared
