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
        calendar.stat_date,
        slices.channel,
        slices.device_type,
        breakdown_values.dimension,
        breakdown_values.dimension_value
    from {{ ref('int_calendar') }} as calendar
    cross join {{ ref('int_slices') }} as slices
    cross join {{ ref('breakdown_values') }} as breakdown_values
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

slice_totals as (
    select
        breakdown_facts.stat_date,
        {{ slice_channel('fact_slices', 'breakdown_facts.channel') }} as channel,
        {{ slice_device('fact_slices', 'breakdown_facts.device_type') }} as device_type,
        breakdown_facts.dimension,
        breakdown_facts.dimension_value,
        count(*) as item_count,
        sum(breakdown_facts.amount) as amount
    from {{ ref('int_breakdown_facts') }} as breakdown_facts
    {{ slice_rollup_join('fact_slices') }}
    group by
        breakdown_facts.stat_date,
        {{ slice_channel('fact_slices', 'breakdown_facts.channel') }},
        {{ slice_device('fact_slices', 'breakdown_facts.device_type') }},
        breakdown_facts.dimension,
        breakdown_facts.dimension_value
)

select
    grid.stat_date,
    {{ as_string('grid.channel', 50) }} as channel,
    {{ as_string('grid.device_type', 20) }} as device_type,
    {{ as_string('grid.dimension', 30) }} as dimension,
    {{ as_string('grid.dimension_value', 20) }} as dimension_value,
    {{ as_int('coalesce(slice_totals.item_count, 0)') }} as item_count,
    cast(coalesce(slice_totals.amount, 0) as decimal(18, 2)) as amount
from grid
left join slice_totals
    on
        grid.stat_date = slice_totals.stat_date
        and grid.channel = slice_totals.channel
        and grid.device_type = slice_totals.device_type
        and grid.dimension = slice_totals.dimension
        and grid.dimension_value = slice_totals.dimension_value
