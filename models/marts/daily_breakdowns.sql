{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type', 'dimension', 'dimension_value'],
        post_hook=["{{ ensure_indexes([['stat_date', 'channel', 'device_type', 'dimension']]) }}"]
    )
}}
{#- 维度明细 daily_breakdowns: the breakdown dimensions of the registry (vars.breakdown_dimensions:
    auth method, card type, member type and payment method, credit order status, member
    deduction mode and status, and any added there), one row per local day x slice x dimension
    value, with a count and an amount. A dimension listed in seeds/breakdown_values.csv is dense
    over its values there (a value outside the list counts as `other`); any other dimension has
    the values seen in the build range (NULL: `other`). Items: int_breakdown_facts. -#}
{%- set r = build_range() %}
{%- set dimension_names = breakdown_dimension_registry() | map(attribute='name') | list %}

with

listed_values as (
    select
        breakdown_values.dimension,
        breakdown_values.dimension_value
    from {{ ref('breakdown_values') }} as breakdown_values
    where breakdown_values.dimension in (
        {%- for name in dimension_names %}
        '{{ name }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
),

listed_dimensions as (
    select distinct listed_values.dimension
    from listed_values
),

items as (
    select
        breakdown_facts.stat_date,
        breakdown_facts.channel,
        breakdown_facts.device_type,
        breakdown_facts.dimension,
        breakdown_facts.amount,
        case
            when listed_dimensions.dimension is null
                then coalesce(breakdown_facts.dimension_value, 'other')
            else coalesce(listed_values.dimension_value, 'other')
        end as dimension_value
    from {{ ref('int_breakdown_facts') }} as breakdown_facts
    left join listed_dimensions on breakdown_facts.dimension = listed_dimensions.dimension
    left join listed_values
        on
            breakdown_facts.dimension = listed_values.dimension
            and breakdown_facts.dimension_value = listed_values.dimension_value
),

dimension_values as (
    select
        listed_values.dimension,
        listed_values.dimension_value
    from listed_values

    union

    select
        items.dimension,
        items.dimension_value
    from items
    where items.dimension not in (select listed_dimensions.dimension from listed_dimensions)
),

grid as (
    select
        day_grid.stat_date,
        day_grid.channel,
        day_grid.device_type,
        dimension_values.dimension,
        dimension_values.dimension_value
    from ({{ slice_grid(r.start, r.end) }}) as day_grid
    cross join dimension_values
),

slice_totals as (
    select
        items.stat_date,
        {{ slice_channel('item_slices', 'items.channel') }} as channel,
        {{ slice_device('item_slices', 'items.device_type') }} as device_type,
        items.dimension,
        items.dimension_value,
        count(*) as item_count,
        sum(items.amount) as amount
    from items
    {{ slice_rollup_join('item_slices') }}
    group by
        items.stat_date,
        {{ slice_channel('item_slices', 'items.channel') }},
        {{ slice_device('item_slices', 'items.device_type') }},
        items.dimension,
        items.dimension_value
),

final as (
    select
        grid.stat_date,
        {{ as_string('grid.channel', 50) }} as channel,
        {{ as_string('grid.device_type', 20) }} as device_type,
        {{ as_string('grid.dimension', 30) }} as dimension,
        {{ as_string('grid.dimension_value', 50) }} as dimension_value,
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
)

select * from final
