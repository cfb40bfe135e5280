{#- Body of the singular tests weekly_stats_match_daily_stats and
    monthly_stats_match_daily_stats (`period`: 'week' or 'month'), for every period that
    overlaps the build range and every slice:
      - as_of_date / days_covered are the last day and the number of days of the period up
        to the end of the build range (int_calendar);
      - additive metrics (pv, the first-ever counts, credit_order_count,
        daily_member_deduction) equal the sum of daily_stats over the period's days up to
        as_of_date — checked when daily_stats holds all those days (a first build that starts
        mid-period has not built the earlier days);
      - uv is recomputed, never summed: at least the uv of each day, at most their sum;
      - history_member_deduction and total_deduction equal the daily values at as_of_date.
    Days are mapped to their period through int_calendar. One failing row per (row, check). -#}
{% macro period_stats_match_daily(period) -%}
{%- set r = build_range() %}
{%- set period_start = period ~ '_start' %}
{%- set additive = [
    'pv', 'real_name_count', 'bind_card_count', 'new_member_count', 'credit_order_count',
    'daily_member_deduction'
] %}

with

range_periods as (
    select period_rows.*
    from {{ ref(period ~ 'ly_stats') }} as period_rows
    where
        period_rows.as_of_date >= {{ date_literal(r.start) }}
        and period_rows.{{ period_start }} <= {{ date_literal(r.end) }}
),

calendar_periods as (
    select
        calendar.{{ period_start }} as period_start,
        count(*) as n_days,
        max(calendar.stat_date) as last_day
    from {{ ref('int_calendar') }} as calendar
    where calendar.stat_date <= {{ date_literal(r.end) }}
    group by calendar.{{ period_start }}
),

daily_sums as (
    select
        range_periods.{{ period_start }} as period_start,
        range_periods.channel,
        range_periods.device_type,
        count(*) as days_found,
        max(daily_rows.uv) as max_uv,
        sum(daily_rows.uv) as sum_uv,
        {%- for col in additive %}
        sum(daily_rows.{{ col }}) as {{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from range_periods
    inner join {{ ref('int_calendar') }} as calendar
        on
            range_periods.{{ period_start }} = calendar.{{ period_start }}
            and range_periods.as_of_date >= calendar.stat_date
    inner join {{ ref('daily_stats') }} as daily_rows
        on
            calendar.stat_date = daily_rows.stat_date
            and range_periods.channel = daily_rows.channel
            and range_periods.device_type = daily_rows.device_type
    group by range_periods.{{ period_start }}, range_periods.channel, range_periods.device_type
),

as_of_values as (
    select
        range_periods.{{ period_start }} as period_start,
        range_periods.channel,
        range_periods.device_type,
        daily_rows.history_member_deduction,
        daily_rows.total_deduction
    from range_periods
    inner join {{ ref('daily_stats') }} as daily_rows
        on
            range_periods.as_of_date = daily_rows.stat_date
            and range_periods.channel = daily_rows.channel
            and range_periods.device_type = daily_rows.device_type
)

select
    'as_of_date / days_covered' as failed_check,
    range_periods.{{ period_start }} as period_start,
    range_periods.channel,
    range_periods.device_type,
    cast(range_periods.days_covered as decimal(18, 2)) as period_value,
    cast(calendar_periods.n_days as decimal(18, 2)) as daily_value
from range_periods
left join calendar_periods on range_periods.{{ period_start }} = calendar_periods.period_start
where
    calendar_periods.period_start is null
    or range_periods.days_covered <> calendar_periods.n_days
    or range_periods.as_of_date <> calendar_periods.last_day

union all

select
    'uv outside [max, sum] of its days' as failed_check,
    range_periods.{{ period_start }} as period_start,
    range_periods.channel,
    range_periods.device_type,
    cast(range_periods.uv as decimal(18, 2)) as period_value,
    cast(daily_sums.sum_uv as decimal(18, 2)) as daily_value
from range_periods
inner join daily_sums
    on
        range_periods.{{ period_start }} = daily_sums.period_start
        and range_periods.channel = daily_sums.channel
        and range_periods.device_type = daily_sums.device_type
where
    range_periods.uv < daily_sums.max_uv
    or (daily_sums.days_found = range_periods.days_covered and range_periods.uv > daily_sums.sum_uv)

{%- for col in additive %}

union all

select
    '{{ col }}' as failed_check,
    range_periods.{{ period_start }} as period_start,
    range_periods.channel,
    range_periods.device_type,
    cast(range_periods.{{ col }} as decimal(18, 2)) as period_value,
    cast(daily_sums.{{ col }} as decimal(18, 2)) as daily_value
from range_periods
inner join daily_sums
    on
        range_periods.{{ period_start }} = daily_sums.period_start
        and range_periods.channel = daily_sums.channel
        and range_periods.device_type = daily_sums.device_type
where daily_sums.days_found = range_periods.days_covered and range_periods.{{ col }} <> daily_sums.{{ col }}
{%- endfor %}

{%- for col in ['history_member_deduction', 'total_deduction'] %}

union all

select
    '{{ col }} at as_of_date' as failed_check,
    range_periods.{{ period_start }} as period_start,
    range_periods.channel,
    range_periods.device_type,
    cast(range_periods.{{ col }} as decimal(18, 2)) as period_value,
    cast(as_of_values.{{ col }} as decimal(18, 2)) as daily_value
from range_periods
left join as_of_values
    on
        range_periods.{{ period_start }} = as_of_values.period_start
        and range_periods.channel = as_of_values.channel
        and range_periods.device_type = as_of_values.device_type
where as_of_values.period_start is null or range_periods.{{ col }} <> as_of_values.{{ col }}
{%- endfor %}
{%- endmacro %}
