{#- (expression, column name) of each group key of `rows` (an alias): the grain columns, then,
    with a `rollup` alias (macros/metrics/slice_rollup_join.sql), the sliced channel and device type. -#}
{% macro grain_keys(rows, grain_columns, rollup) -%}
    {%- set keys = [] -%}
    {%- for col in grain_columns -%}
        {%- do keys.append((rows ~ '.' ~ col, col)) -%}
    {%- endfor -%}
    {%- if rollup -%}
        {%- do keys.append((slice_channel(rollup, rows ~ '.channel'), 'channel')) -%}
        {%- do keys.append((slice_device(rollup, rows ~ '.device_type'), 'device_type')) -%}
    {%- endif -%}
    {{ return(keys) }}
{%- endmacro %}
