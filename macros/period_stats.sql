{#- The body of weekly_stats and monthly_stats (`period`: 'week' or 'month'): one row per
    period x slice for every period that overlaps the build range, as of the range end. pv,
    the first-ever counts, credit_order_count and daily_member_deduction are sums over the
    period's days up to as_of_date; uv and avg_visit_duration are recomputed over the period's
    page views (never summed); the cumulative amounts are their value at the end of the
    period's last built day (`as_of_date`). The metrics: macros/grain_metrics.sql. -#}
{% macro period_stats(period) -%}
{%- set r = build_range() %}
{%- set period_start = period ~ '_start' %}

with

range_periods as (
    select distinct calendar.{{ period_start }} as period_start
    from {{ ref('int_calendar') }} as calendar
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

period_days as (
    select
        calendar.stat_date,
        calendar.{{ period_start }} as period_start,
        calendar.iso_year,
        calendar.iso_week
    from {{ ref('int_calendar') }} as calendar
    where
        calendar.stat_date <= {{ date_literal(r.end) }}
        and calendar.{{ period_start }} in (select range_periods.period_start from range_periods)
),

periods as (
    select
        period_days.period_start,
        max(period_days.stat_date) as as_of_date,
        count(*) as days_covered,
        max(period_days.iso_year) as iso_year,
        max(period_days.iso_week) as iso_week
    from period_days
    group by period_days.period_start
),

grid as (
    select
        periods.period_start,
        periods.as_of_date,
        periods.days_covered,
        periods.iso_year,
        periods.iso_week,
        slices.channel,
        slices.device_type
    from periods
    cross join {{ ref('int_slices') }} as slices
),

period_page_views as (
    select
        period_days.period_start,
        page_views.channel,
        page_views.device_type,
        page_views.visitor_key,
        page_views.counted_duration_seconds
    from {{ ref('int_page_views') }} as page_views
    inner join period_days on page_views.stat_date = period_days.stat_date
),

period_business_facts as (
    select
        period_days.period_start,
        business_facts.channel,
        business_facts.device_type,
        business_facts.fact,
        business_facts.amount
    from {{ ref('int_business_facts_in_window') }} as business_facts
    inner join period_days on business_facts.stat_date = period_days.stat_date
),

numbers as (
    {{ grain_metrics('grid', ['period_start'], 'period_page_views', 'period_business_facts') }}
)

select
    numbers.period_start as {{ period_start }},
    {%- if period == 'week' %}
    {{ as_int('numbers.iso_year') }} as iso_year,
    {{ as_int('numbers.iso_week') }} as iso_week,
    {%- endif %}
    numbers.as_of_date,
    {{ as_int('numbers.days_covered') }} as days_covered,
    {{ as_string('numbers.channel', 50) }} as channel,
    {{ as_string('numbers.device_type', 20) }} as device_type,
    numbers.pv,
    numbers.uv,
    numbers.avg_visit_duration,
    numbers.real_name_count,
    numbers.bind_card_count,
    numbers.new_member_count,
    numbers.credit_order_count,
    numbers.daily_member_deduction,
    cast(as_of_cumulative.history_member_deduction as decimal(18, 2)) as history_member_deduction,
    cast(as_of_cumulative.total_deduction as decimal(18, 2)) as total_deduction
from numbers
left join {{ ref('deduction_cumulative_daily') }} as as_of_cumulative
    on
        numbers.as_of_date = as_of_cumulative.stat_date
        and numbers.channel = as_of_cumulative.channel
        and numbers.device_type = as_of_cumulative.device_type
{%- endmacro %}
