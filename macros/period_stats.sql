{#- Weekly (ISO, Monday start) and monthly stats for every period that overlaps the build
    range, as of the range end: pv and first-time counts are sums over the period's days,
    uv and avg_visit_duration are recomputed over the period's page views (never summed),
    cumulative amounts are the value at the period's last built day (`as_of_date`).
    `period` is 'week' or 'month'. -#}
{% macro period_stats(period) -%}
{%- set r = build_range() %}
{%- set start_col = period ~ '_start' %}

with

periods as (
    select distinct cal.{{ start_col }} as period_start
    from {{ ref('int_calendar') }} as cal
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

period_days as (
    select
        cal.stat_date,
        cal.{{ start_col }} as period_start,
        cal.iso_year,
        cal.iso_week
    from {{ ref('int_calendar') }} as cal
    where
        cal.stat_date <= {{ date_literal(r.end) }}
        and cal.{{ start_col }} in (select p.period_start from periods as p)
),

period_info as (
    select
        pd.period_start,
        max(pd.stat_date) as as_of_date,
        count(*) as days_covered,
        max(pd.iso_year) as iso_year,
        max(pd.iso_week) as iso_week
    from period_days as pd
    group by pd.period_start
),

grid as (
    select
        pi.period_start,
        pi.as_of_date,
        pi.days_covered,
        pi.iso_year,
        pi.iso_week,
        sl.channel,
        sl.device_type
    from period_info as pi
    cross join {{ ref('int_slices') }} as sl
),

traffic as (
    select
        pd.period_start,
        {{ slice_channel('pv_.channel') }} as channel,
        {{ slice_device('pv_.device_type') }} as device_type,
        {{ traffic_aggregates() }}
    from {{ ref('int_page_views') }} as pv_
    inner join period_days as pd on pv_.stat_date = pd.stat_date
    {{ slice_rollup_join() }}
    group by
        pd.period_start,
        {{ slice_channel('pv_.channel') }},
        {{ slice_device('pv_.device_type') }}
),

business as (
    select
        pd.period_start,
        {{ slice_channel('f_.channel') }} as channel,
        {{ slice_device('f_.device_type') }} as device_type,
        {{ business_aggregates() }}
    from {{ ref('int_business_facts') }} as f_
    inner join period_days as pd on f_.stat_date = pd.stat_date
    {{ slice_rollup_join() }}
    group by
        pd.period_start,
        {{ slice_channel('f_.channel') }},
        {{ slice_device('f_.device_type') }}
)

select
    g.period_start as {{ start_col }},
    {%- if period == 'week' %}
    {{ as_int('g.iso_year') }} as iso_year,
    {{ as_int('g.iso_week') }} as iso_week,
    {%- endif %}
    g.as_of_date,
    {{ as_int('g.days_covered') }} as days_covered,
    {{ as_string('g.channel', 50) }} as channel,
    {{ as_string('g.device_type', 20) }} as device_type,
    {{ as_int('coalesce(t.pv, 0)') }} as pv,
    {{ as_int('coalesce(t.uv, 0)') }} as uv,
    {{ as_int(avg_visit_duration('coalesce(t.total_duration, 0)', 'coalesce(t.uv, 0)')) }} as avg_visit_duration,
    {{ as_int('coalesce(b.real_name_count, 0)') }} as real_name_count,
    {{ as_int('coalesce(b.bind_card_count, 0)') }} as bind_card_count,
    {{ as_int('coalesce(b.new_member_count, 0)') }} as new_member_count,
    {{ as_int('coalesce(b.credit_order_count, 0)') }} as credit_order_count,
    cast(coalesce(b.member_deduction, 0) as decimal(18, 2)) as member_deduction,
    cast(c.history_member_deduction as decimal(18, 2)) as history_member_deduction,
    cast(c.total_deduction as decimal(18, 2)) as total_deduction
from grid as g
left join traffic as t
    on g.period_start = t.period_start and g.channel = t.channel and g.device_type = t.device_type
left join business as b
    on g.period_start = b.period_start and g.channel = b.channel and g.device_type = b.device_type
left join {{ ref('deduction_cumulative_daily') }} as c
    on g.as_of_date = c.stat_date and g.channel = c.channel and g.device_type = c.device_type
{%- endmacro %}
