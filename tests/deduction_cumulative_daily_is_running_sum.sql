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

cur as (
    select c.*
    from {{ ref('deduction_cumulative_daily') }} as c
    where c.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

{% for cumulative_col, movement_col in [
    ('history_member_deduction', 'member_net_amount'),
    ('total_deduction', 'total_net_amount'),
] %}
select
    '{{ cumulative_col }} = previous day + {{ movement_col }}' as failed_check,
    c.stat_date,
    c.channel,
    c.device_type,
    c.{{ cumulative_col }} as actual_value,
    prev.{{ cumulative_col }} + c.{{ movement_col }} as expected_value
from cur as c
inner join {{ ref('deduction_cumulative_daily') }} as prev
    on
        c.stat_date = prev.stat_date + interval 1 day
        and c.channel = prev.channel
        and c.device_type = prev.device_type
where c.{{ cumulative_col }} <> prev.{{ cumulative_col }} + c.{{ movement_col }}

union all
{% endfor %}

select
    'member_net_amount above daily_member_deduction' as failed_check,
    c.stat_date,
    c.channel,
    c.device_type,
    c.member_net_amount as actual_value,
    ds.daily_member_deduction as expected_value
from cur as c
inner join {{ ref('daily_stats') }} as ds
    on c.stat_date = ds.stat_date and c.channel = ds.channel and c.device_type = ds.device_type
where c.member_net_amount > ds.daily_member_deduction
