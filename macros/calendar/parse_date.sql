{#- A Python date from an ISO date string (a dbt var or a query result). -#}
{% macro parse_date(value) -%}
    {{ return(modules.datetime.date.fromisoformat(value | string)) }}
{%- endmacro %}
