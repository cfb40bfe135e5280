{#- daily_stats vs hourly_stats, days of the build range, every (stat_date, channel,
    device_type) and registry metric: the rule of macros/generic_tests/daily_hourly_comparison.sql
    (additive: the day is the sum of its 24 hours; distinct counts: between the largest hour
    and the sum of the hours; cumulative: the hour-23 value), and every slice has its 24
    hours. One failing row per (row, metric). The monitoring model cross_check_results keeps
    the same comparison, with history, over the monitoring range. -#}
{%- set r = build_range() %}

with

compared as (
    {{ daily_hourly_comparison(r.start, r.end) | indent(4) }}
)

select compared.*
from compared
where
    compared.hour_rows <> 24
    or compared.hourly_low is null
    or compared.daily_value < compared.hourly_low
    or compared.daily_value > compared.hourly_high
