{#- The sliced channel: 'all' on the rollup rows that roll channels up, else `channel`. -#}
{% macro slice_channel(rollup, channel) -%}
    case when {{ rollup }}.roll_channel = 1 then 'all' else {{ channel }} end
{%- endmacro %}
