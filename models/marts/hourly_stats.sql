{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'stat_hour', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'stat_hour', 'channel', 'device_type']]) }}"]
    )
}}
{#- 小时统计 hourly_stats: one row per local day x hour x slice (dense: 24 x 30 a day).
    pv, the first-ever counts, credit_order_count and daily_member_deduction are the hour's own
    and add up to the day; uv and avg_visit_duration are the hour's own; cumulative amounts
    are the value at the end of the hour. The metrics: macros/grain_metrics.sql. -#}
{%- set r = build_range() %}

with

hours as (
    {{- integer_rows(24, 'stat_hour') }}
),

grid as (
    select
        calendar.stat_date,
        hours.stat_hour,
        slices.channel,
        slices.device_type
    from {{ ref('int_calendar') }} as calendar
    cross join hours
    cross join {{ ref('int_slices') }} as slices
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

range_page_views as (
    select
        page_views.stat_date,
        page_views.stat_hour,
        page_views.channel,
        page_views.device_type,
        page_views.visitor_key,
        page_views.counted_duration_seconds
    from {{ ref('int_page_views') }} as page_views
    where page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

range_business_facts as (
    select
        business_facts.stat_date,
        business_facts.stat_hour,
        business_facts.channel,
        business_facts.device_type,
        business_facts.fact,
        business_facts.amount
    from {{ ref('int_business_facts_in_window') }} as business_facts
    where business_facts.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

hour_metrics as (
    {{ grain_metrics('grid', ['stat_date', 'stat_hour'], 'range_page_views', 'range_business_facts') }}
),

numbers as (
    -- cumulative amounts at the end of the hour: the value at the end of the day minus the
    -- movements of the day's later hours
    select
        hour_metrics.*,
        day_end.history_member_deduction
        - coalesce(sum(hour_metrics.member_net_amount) over later_hours, 0) as history_member_deduction,
        day_end.total_deduction
        - coalesce(sum(hour_metrics.total_net_amount) over later_hours, 0) as total_deduction
    from hour_metrics
    left join {{ ref('deduction_cumulative_daily') }} as day_end
        on
            hour_metrics.stat_date = day_end.stat_date
            and hour_metrics.channel = day_end.channel
            and hour_metrics.device_type = day_end.device_type
    window later_hours as (
        partition by hour_metrics.stat_date, hour_metrics.channel, hour_metrics.device_type
        order by hour_metrics.stat_hour
        rows between 1 following and unbounded following
    )
)

select
    numbers.stat_date,
    {{ as_int('numbers.stat_hour') }} as stat_hour,
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
    cast(numbers.history_member_deduction as decimal(18, 2)) as history_member_deduction,
    cast(numbers.total_deduction as decimal(18, 2)) as total_deduction
from numbers
