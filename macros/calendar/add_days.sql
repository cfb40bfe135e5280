{#- The date `date_expr` plus the integer expression `days` (a date). -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'bizstats')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ date_expr }} + interval ({{ days }}) day as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, {{ days }})
{%- endmacro %}
