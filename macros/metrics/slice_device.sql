{#- The sliced device type: 'all' on the rollup rows that roll devices up, else `device_type`. -#}
{% macro slice_device(rollup, device_type) -%}
    case when {{ rollup }}.roll_device = 1 then 'all' else {{ device_type }} end
{%- endmacro %}
