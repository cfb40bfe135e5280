{#- The local date of the UTC datetime `column`. -#}
{% macro local_date(column) -%}
    cast({{ to_local(column) }} as date)
{%- endmacro %}
