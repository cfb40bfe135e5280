{#- The local hour (0-23) of the UTC datetime `column`. -#}
{% macro local_hour(column) -%}
    extract(hour from {{ to_local(column) }})
{%- endmacro %}
