{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'stat_hour', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'stat_hour', 'channel', 'device_type']]) }}"]
    )
}}
{#- 小时统计 hourly_stats: one row per local day x hour x slice (dense: 24 x 30 a day).
    pv and first-time counts sum to the day; uv and avg_visit_duration are the hour's own;
    cumulative amounts are the value at the end of the hour. -#}
{%- set r = build_range() %}

with

hours as (
    {%- for h in range(24) %}
    select {{ h }} as stat_hour
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

grid as (
    select
        cal.stat_date,
        hr.stat_hour,
        sl.channel,
        sl.device_type
    from {{ ref('int_calendar') }} as cal
    cross join hours as hr
    cross join {{ ref('int_slices') }} as sl
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

traffic as (
    select
        pv_.stat_date,
        pv_.stat_hour,
        {{ slice_channel('pv_.channel') }} as channel,
        {{ slice_device('pv_.device_type') }} as device_type,
        {{ traffic_aggregates() }}
    from {{ ref('int_page_views') }} as pv_
    {{ slice_rollup_join() }}
    where pv_.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        pv_.stat_date,
        pv_.stat_hour,
        {{ slice_channel('pv_.channel') }},
        {{ slice_device('pv_.device_type') }}
),

business as (
    select
        f_.stat_date,
        f_.stat_hour,
        {{ slice_channel('f_.channel') }} as channel,
        {{ slice_device('f_.device_type') }} as device_type,
        {{ business_aggregates() }},
        sum(case when f_.fact = 'member_net' then f_.amount else 0 end) as member_net_amount,
        sum(case when f_.fact = 'total_net' then f_.amount else 0 end) as total_net_amount
    from {{ ref('int_business_facts') }} as f_
    {{ slice_rollup_join() }}
    where f_.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        f_.stat_date,
        f_.stat_hour,
        {{ slice_channel('f_.channel') }},
        {{ slice_device('f_.device_type') }}
),

numbers as (
    select
        g.stat_date,
        g.stat_hour,
        g.channel,
        g.device_type,
        coalesce(t.pv, 0) as pv,
        coalesce(t.uv, 0) as uv,
        {{ avg_visit_duration('coalesce(t.total_duration, 0)', 'coalesce(t.uv, 0)') }} as avg_visit_duration,
        coalesce(b.real_name_count, 0) as real_name_count,
        coalesce(b.bind_card_count, 0) as bind_card_count,
        coalesce(b.new_member_count, 0) as new_member_count,
        coalesce(b.credit_order_count, 0) as credit_order_count,
        coalesce(b.member_deduction, 0) as member_deduction,
        coalesce(b.member_net_amount, 0) as member_net_amount,
        coalesce(b.total_net_amount, 0) as total_net_amount,
        c.history_member_deduction as day_end_member,
        c.total_deduction as day_end_total
    from grid as g
    left join traffic as t
        on
            g.stat_date = t.stat_date and g.stat_hour = t.stat_hour
            and g.channel = t.channel and g.device_type = t.device_type
    left join business as b
        on
            g.stat_date = b.stat_date and g.stat_hour = b.stat_hour
            and g.channel = b.channel and g.device_type = b.device_type
    left join {{ ref('deduction_cumulative_daily') }} as c
        on g.stat_date = c.stat_date and g.channel = c.channel and g.device_type = c.device_type
)

select
    n.stat_date,
    {{ as_int('n.stat_hour') }} as stat_hour,
    {{ as_string('n.channel', 50) }} as channel,
    {{ as_string('n.device_type', 20) }} as device_type,
    {{ as_int('n.pv') }} as pv,
    {{ as_int('n.uv') }} as uv,
    {{ as_int('n.avg_visit_duration') }} as avg_visit_duration,
    {{ as_int('n.real_name_count') }} as real_name_count,
    {{ as_int('n.bind_card_count') }} as bind_card_count,
    {{ as_int('n.new_member_count') }} as new_member_count,
    {{ as_int('n.credit_order_count') }} as credit_order_count,
    cast(n.member_deduction as decimal(18, 2)) as member_deduction,
    -- value at the end of the hour = end of day minus the movements of the later hours
    cast(
        n.day_end_member - (
            sum(n.member_net_amount)
                over (
                    partition by n.stat_date, n.channel, n.device_type
                    order by n.stat_hour
                    rows between unbounded preceding and unbounded following
                )
            - sum(n.member_net_amount) over (
                partition by n.stat_date, n.channel, n.device_type
                order by n.stat_hour
                rows between unbounded preceding and current row
            )
        ) as decimal(18, 2)
    ) as history_member_deduction,
    cast(
        n.day_end_total - (
            sum(n.total_net_amount)
                over (
                    partition by n.stat_date, n.channel, n.device_type
                    order by n.stat_hour
                    rows between unbounded preceding and unbounded following
                )
            - sum(n.total_net_amount) over (
                partition by n.stat_date, n.channel, n.device_type
                order by n.stat_hour
                rows between unbounded preceding and current row
            )
        ) as decimal(18, 2)
    ) as total_deduction
from numbers as n
