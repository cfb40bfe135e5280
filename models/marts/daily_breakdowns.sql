{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type', 'dimension', 'dimension_value'],
        post_hook=["{{ ensure_indexes([['stat_date', 'channel', 'device_type', 'dimension']]) }}"]
    )
}}
{#- 维度明细 daily_breakdowns: the breakdowns the seed asks to record (auth method, card type,
    member type and payment method, credit order status, member deduction mode and status),
    one row per local day x slice x dimension value (dense over seeds/breakdown_values.csv),
    with a count and an amount. See int_breakdown_facts for each dimension's population. -#}
{%- set r = build_range() %}

with

grid as (
    select
        cal.stat_date,
        sl.channel,
        sl.device_type,
        bv.dimension,
        bv.dimension_value
    from {{ ref('int_calendar') }} as cal
    cross join {{ ref('int_slices') }} as sl
    cross join {{ ref('breakdown_values') }} as bv
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

counted as (
    select
        f.stat_date,
        {{ slice_channel('f.channel') }} as channel,
        {{ slice_device('f.device_type') }} as device_type,
        f.dimension,
        f.dimension_value,
        count(*) as item_count,
        sum(f.amount) as amount
    from {{ ref('int_breakdown_facts') }} as f
    {{ slice_rollup_join() }}
    group by
        f.stat_date,
        {{ slice_channel('f.channel') }},
        {{ slice_device('f.device_type') }},
        f.dimension,
        f.dimension_value
)

select
    g.stat_date,
    {{ as_string('g.channel', 50) }} as channel,
    {{ as_string('g.device_type', 20) }} as device_type,
    {{ as_string('g.dimension', 30) }} as dimension,
    {{ as_string('g.dimension_value', 20) }} as dimension_value,
    {{ as_int('coalesce(c.item_count, 0)') }} as item_count,
    cast(coalesce(c.amount, 0) as decimal(18, 2)) as amount
from grid as g
left join counted as c
    on
        g.stat_date = c.stat_date
        and g.channel = c.channel
        and g.device_type = c.device_type
        and g.dimension = c.dimension
        and g.dimension_value = c.dimension_value
