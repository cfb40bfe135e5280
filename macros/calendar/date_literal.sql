{#- A SQL date literal of the Python date `day`. -#}
{% macro date_literal(day) -%}
    date '{{ day.isoformat() }}'
{%- endmacro %}
