{#- The date of the first row of a one-value query (none when NULL, or at parse time). -#}
{% macro query_date(sql) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {{ return(none if value is none else parse_date((value | string)[:10])) }}
{%- endmacro %}
