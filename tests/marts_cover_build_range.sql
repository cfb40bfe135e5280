{#- Dense grids in time: every local day of the build range has rows in every daily-grained
    mart, and every ISO week and month it touches has rows in weekly_stats / monthly_stats — a
    day with no data at all still gets its zero rows (the "missing data" check relies on
    them). How many rows each day holds is tested by rows_per_group in _marts.yml. -#}
{%- set r = build_range() %}
{%- set daily_marts = [
    'daily_stats', 'hourly_stats', 'daily_breakdowns', 'user_type_daily_stats', 'cumulative_daily'
] %}

with

build_days as (
    select
        calendar.stat_date,
        calendar.week_start,
        calendar.month_start
    from {{ ref('int_calendar') }} as calendar
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

{% for mart in daily_marts %}
select
    '{{ mart }}' as mart,
    build_days.stat_date as missing_period
from build_days
where
    not exists (
        select 1 as matching_row
        from {{ ref(mart) }} as mart_rows
        where mart_rows.stat_date = build_days.stat_date
    )

union all
{% endfor %}

select
    'weekly_stats' as mart,
    build_days.week_start as missing_period
from build_days
where
    not exists (
        select 1 as matching_row
        from {{ ref('weekly_stats') }} as weekly_rows
        where weekly_rows.week_start = build_days.week_start
    )

union all

select
    'monthly_stats' as mart,
    build_days.month_start as missing_period
from build_days
where
    not exists (
        select 1 as matching_row
        from {{ ref('monthly_stats') }} as monthly_rows
        where monthly_rows.month_start = build_days.month_start
    )
