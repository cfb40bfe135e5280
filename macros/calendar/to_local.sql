{#- Local (statistics time zone) days and hours in SQL. The time zone is a fixed offset from
    UTC, dbt var stats_utc_offset_hours; raw datetimes are UTC, build ranges are local dates.
    Range bounds are computed in Jinja, so the SQL compares raw columns with literals. -#}

{#- The UTC datetime `column` as local time. -#}
{% macro to_local(column) -%}
    {{ return(adapter.dispatch('to_local', 'bizstats')(column)) }}
{%- endmacro %}

{% macro default__to_local(column) -%}
    ({{ column }} + interval ({{ utc_offset_hours() }}) hour)
{%- endmacro %}

{#- Spark parses no parenthesised interval quantity. -#}
{% macro spark__to_local(column) -%}
    ({{ column }} + interval {{ utc_offset_hours() }} hours)
{%- endmacro %}
