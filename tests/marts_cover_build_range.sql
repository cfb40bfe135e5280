{#- Dense grids in time: every local day of the build range has rows in every daily-grained
    mart, and every ISO week and month it touches has rows in weekly_stats / monthly_stats — a
    day with no data at all still gets its zero rows (the "missing data" check relies on
    them). How many rows each day holds is tested by rows_per_group in _marts.yml. -#}
{%- set r = build_range() %}
{%- set daily_marts = [
    'daily_stats', 'hourly_stats', 'daily_breakdowns', 'user_type_daily_stats', 'deduction_cumulative_daily'
] %}

with

build_days as (
    select
        cal.stat_date,
        cal.week_start,
        cal.month_start
    from {{ ref('int_calendar') }} as cal
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

{% for mart in daily_marts %}
select
    '{{ mart }}' as mart,
    bd.stat_date as missing_period
from build_days as bd
where
    not exists (
        select 1 as found
        from {{ ref(mart) }} as m
        where m.stat_date = bd.stat_date
    )

union all
{% endfor %}

select
    'weekly_stats' as mart,
    bd.week_start as missing_period
from build_days as bd
where
    not exists (
        select 1 as found
        from {{ ref('weekly_stats') }} as w
        where w.week_start = bd.week_start
    )

union all

select
    'monthly_stats' as mart,
    bd.month_start as missing_period
from build_days as bd
where
    not exists (
        select 1 as found
        from {{ ref('monthly_stats') }} as mo
        where mo.month_start = bd.month_start
    )
