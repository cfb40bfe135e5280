{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes(['stat_date', 'channel'],
            unique=[['stat_date', 'channel', 'device_type']],
            int_columns=['pv', 'uv', 'avg_visit_duration', 'real_name_count', 'bind_card_count',
                'new_member_count', 'credit_order_count']) }}"]
    )
}}
{#- 日统计表 daily_stats (seed §5.2.1): one row per local day x channel x device_type, a
    dense grid of 30 slices a day, zeros where nothing happened. Incremental over the build
    range; re-running gives identical rows (created_at/updated_at are kept unless a number
    changes). -#}
{%- set r = build_range() %}

with

grid as (
    select
        cal.stat_date,
        sl.channel,
        sl.device_type
    from {{ ref('int_calendar') }} as cal
    cross join {{ ref('int_slices') }} as sl
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

traffic as (
    select
        pv_.stat_date,
        {{ slice_channel('pv_.channel') }} as channel,
        {{ slice_device('pv_.device_type') }} as device_type,
        {{ traffic_aggregates() }}
    from {{ ref('int_page_views') }} as pv_
    {{ slice_rollup_join() }}
    where pv_.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        pv_.stat_date,
        {{ slice_channel('pv_.channel') }},
        {{ slice_device('pv_.device_type') }}
),

business as (
    select
        f_.stat_date,
        {{ slice_channel('f_.channel') }} as channel,
        {{ slice_device('f_.device_type') }} as device_type,
        {{ business_aggregates() }}
    from {{ ref('int_business_facts') }} as f_
    {{ slice_rollup_join() }}
    where f_.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        f_.stat_date,
        {{ slice_channel('f_.channel') }},
        {{ slice_device('f_.device_type') }}
),

numbers as (
    select
        g.stat_date,
        g.channel,
        g.device_type,
        coalesce(t.pv, 0) as pv,
        coalesce(t.uv, 0) as uv,
        {{ avg_visit_duration('coalesce(t.total_duration, 0)', 'coalesce(t.uv, 0)') }} as avg_visit_duration,
        coalesce(b.real_name_count, 0) as real_name_count,
        coalesce(b.bind_card_count, 0) as bind_card_count,
        coalesce(b.new_member_count, 0) as new_member_count,
        coalesce(b.credit_order_count, 0) as credit_order_count,
        coalesce(b.member_deduction, 0) as daily_member_deduction,
        c.history_member_deduction,
        c.total_deduction
    from grid as g
    left join traffic as t
        on g.stat_date = t.stat_date and g.channel = t.channel and g.device_type = t.device_type
    left join business as b
        on g.stat_date = b.stat_date and g.channel = b.channel and g.device_type = b.device_type
    left join {{ ref('deduction_cumulative_daily') }} as c
        on g.stat_date = c.stat_date and g.channel = c.channel and g.device_type = c.device_type
)

select
    n.stat_date,
    {{ as_int('n.pv') }} as pv,
    {{ as_int('n.uv') }} as uv,
    {{ as_int('n.avg_visit_duration') }} as avg_visit_duration,
    {{ as_int('n.real_name_count') }} as real_name_count,
    {{ as_int('n.bind_card_count') }} as bind_card_count,
    {{ as_int('n.new_member_count') }} as new_member_count,
    {{ as_int('n.credit_order_count') }} as credit_order_count,
    cast(n.daily_member_deduction as decimal(18, 2)) as daily_member_deduction,
    cast(n.history_member_deduction as decimal(18, 2)) as history_member_deduction,
    cast(n.total_deduction as decimal(18, 2)) as total_deduction,
    {{ as_string('n.channel', 50) }} as channel,
    {{ as_string('n.device_type', 20) }} as device_type,
    {{ keep_timestamps('n', ['pv', 'uv', 'avg_visit_duration', 'real_name_count', 'bind_card_count',
        'new_member_count', 'credit_order_count', 'daily_member_deduction',
        'history_member_deduction', 'total_deduction'], ['stat_date', 'channel', 'device_type']) }}
from numbers as n
{{ previous_rows_join('n', ['stat_date', 'channel', 'device_type']) }}
