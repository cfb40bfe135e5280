{#- deduction_cumulative_daily, days of the build range: each day's cumulative amount is the
    previous day's plus the day's net movement (so a refund lowers the cumulative on its own
    day and earlier days are never rewritten), including the first day of the range against
    the stored day before it; and the day's net member movement never exceeds the gross
    daily_member_deduction of daily_stats (refunds only subtract). -#}
{#- Severity error: both hold for any input (refund amounts are >= 0 by docs/sources.md). A
    refund larger than its deduction makes the cumulative negative, which is only warned
    about (not_negative in _marts.yml). -#}
{%- set r = build_range() %}

with

range_rows as (
    select cumulative_rows.*
    from {{ ref('deduction_cumulative_daily') }} as cumulative_rows
    where cumulative_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

{% for cumulative_col, movement_col in [
    ('history_member_deduction', 'member_net_amount'),
    ('total_deduction', 'total_net_amount'),
] %}
select
    '{{ cumulative_col }} = previous day + {{ movement_col }}' as failed_check,
    range_rows.stat_date,
    range_rows.channel,
    range_rows.device_type,
    range_rows.{{ cumulative_col }} as actual_value,
    day_before.{{ cumulative_col }} + range_rows.{{ movement_col }} as expected_value
from range_rows
inner join {{ ref('deduction_cumulative_daily') }} as day_before
    on
        range_rows.stat_date = day_before.stat_date + interval 1 day
        and range_rows.channel = day_before.channel
        and range_rows.device_type = day_before.device_type
where range_rows.{{ cumulative_col }} <> day_before.{{ cumulative_col }} + range_rows.{{ movement_col }}

union all
{% endfor %}

select
    'member_net_amount above daily_member_deduction' as failed_check,
    range_rows.stat_date,
    range_rows.channel,
    range_rows.device_type,
    range_rows.member_net_amount as actual_value,
    daily_rows.daily_member_deduction as expected_value
from range_rows
inner join {{ ref('daily_stats') }} as daily_rows
    on
        range_rows.stat_date = daily_rows.stat_date
        and range_rows.channel = daily_rows.channel
        and range_rows.device_type = daily_rows.device_type
where range_rows.member_net_amount > daily_rows.daily_member_deduction
