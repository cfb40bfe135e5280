{#- cumulative_daily, days of the build range: for every cumulative metric of the registry,
    each day's value is the previous day's plus the day's movement (`<name>_movement`), so a
    reversal (a refund) lowers the value on its own day and earlier days are never rewritten —
    the first day of the range included, against the stored day before it. One failing row
    per (row, metric). -#}
{#- Severity error: holds for any input. A reversal larger than what it reverses makes the
    value negative, which is only warned about (not_negative in _marts.yml). -#}
{%- set r = build_range() %}
{%- set metrics = mart_metrics('cumulative_daily') %}

with

range_rows as (
    select cumulative_rows.*
    from {{ ref('cumulative_daily') }} as cumulative_rows
    where cumulative_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

{%- for metric in metrics %}
{%- if not loop.first %}

union all
{%- endif %}

select
    '{{ metric.name }} = previous day + {{ metric.name }}_movement' as failed_check,
    range_rows.stat_date,
    range_rows.channel,
    range_rows.device_type,
    range_rows.{{ metric.name }} as actual_value,
    day_before.{{ metric.name }} + range_rows.{{ metric.name }}_movement as expected_value
from range_rows
inner join {{ ref('cumulative_daily') }} as day_before
    on
        range_rows.stat_date = day_before.stat_date + interval 1 day
        and range_rows.channel = day_before.channel
        and range_rows.device_type = day_before.device_type
where range_rows.{{ metric.name }} <> day_before.{{ metric.name }} + range_rows.{{ metric.name }}_movement
{%- else %}

select
    'none' as failed_check,
    range_rows.stat_date,
    range_rows.channel,
    range_rows.device_type,
    0 as actual_value,
    0 as expected_value
from range_rows
where 1 = 0
{%- endfor %}
