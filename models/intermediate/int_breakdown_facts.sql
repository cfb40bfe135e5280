{{ config(materialized='ephemeral') }}
{#- Items behind daily_breakdowns, for the build range, one row per item of a breakdown dimension
    of the registry (vars.breakdown_dimensions): the rows of its population (a metric's counted
    rows, or its own source rows) with the item's value and amount, in the row's slice (the
    user's acquisition slice, or the event's own). Ephemeral: inlined into daily_breakdowns. -#}
{%- set r = build_range() %}
{%- set dimensions = breakdown_dimension_registry() %}

with

sliced_items as (
    {{- sliced_metric_rows(dimensions | map(attribute='population') | list, r.start, r.end,
        dimensions | map(attribute='value') | list) }}
)

select
    {{ as_string('sliced_items.user_id', 50) }} as user_id,
    {{ local_date('sliced_items.fact_at') }} as stat_date,
    {{ as_string('sliced_items.metric', 30) }} as dimension,
    {{ as_string('sliced_items.dimension_value', 50) }} as dimension_value,
    {{ as_string('sliced_items.channel', 50) }} as channel,
    {{ as_string('sliced_items.device_type', 20) }} as device_type,
    sliced_items.amount
from sliced_items
