{#- Every fact row is counted in four slices: (channel, device), (channel, all),
    (all, device) and (all, all). Distinct counts are then taken per slice, never summed. -#}
{% macro slice_rollup_join() -%}
    cross join (
        select 0 as roll_channel, 0 as roll_device
        union all select 1 as roll_channel, 0 as roll_device
        union all select 0 as roll_channel, 1 as roll_device
        union all select 1 as roll_channel, 1 as roll_device
    ) as rollup_
{%- endmacro %}

{% macro slice_channel(column) -%}
    case when rollup_.roll_channel = 1 then 'all' else {{ column }} end
{%- endmacro %}

{% macro slice_device(column) -%}
    case when rollup_.roll_device = 1 then 'all' else {{ column }} end
{%- endmacro %}
