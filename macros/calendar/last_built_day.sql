{#- The last local day stored in daily_stats: how far the warehouse has been built. -#}
{% macro last_built_day() -%}
    {%- set daily_stats = existing_relation(target.schema, 'daily_stats') if execute else none -%}
    {{ return(query_date("select max(stat_date) from " ~ daily_stats) if daily_stats else none) }}
{%- endmacro %}
