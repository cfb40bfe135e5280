{#- The rows of the model `model` whose stat_date lies in the build range: an import CTE of the
    daily and hourly marts. -#}
{% macro build_range_rows(model) -%}
    {%- set r = build_range() -%}
    select {{ model }}.*
    from {{ ref(model) }} as {{ model }}
    where {{ model }}.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
{%- endmacro %}
