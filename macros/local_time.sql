{#- Local (statistics time zone) days and hours in SQL. The time zone is a fixed offset from
    UTC, dbt var stats_utc_offset_hours; raw datetimes are UTC, build ranges are local dates.
    Range bounds are computed in Jinja, so the SQL compares raw columns with literals. -#}

{#- The offset of the statistics time zone from UTC, in hours. -#}
{% macro utc_offset_hours() -%}
    {{ return(var('stats_utc_offset_hours') | int) }}
{%- endmacro %}

{#- The UTC datetime `column` as local time. -#}
{% macro to_local(column) -%}
    ({{ column }} + interval ({{ utc_offset_hours() }}) hour)
{%- endmacro %}

{#- The local date of the UTC datetime `column`. -#}
{% macro local_date(column) -%}
    cast({{ to_local(column) }} as date)
{%- endmacro %}

{#- The local hour (0-23) of the UTC datetime `column`. -#}
{% macro local_hour(column) -%}
    extract(hour from {{ to_local(column) }})
{%- endmacro %}

{#- A SQL timestamp literal: local midnight of `day` expressed in UTC. -#}
{% macro utc_start_of(day) -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set midnight = modules.datetime.datetime(day.year, day.month, day.day) -%}
    timestamp '{{ (midnight - td(hours=utc_offset_hours())).strftime("%Y-%m-%d %H:%M:%S") }}'
{%- endmacro %}

{#- A predicate: the UTC datetime column falls on a local day in [start, end]; either bound
    may be none (unbounded). A NULL column never matches. Sargable: compares the raw column
    with UTC literals. -#}
{% macro local_days_between(column, start, end) -%}
    {%- set td = modules.datetime.timedelta -%}
    ({{ column }} is not null
    {%- if start is not none %} and {{ column }} >= {{ utc_start_of(start) }}{% endif %}
    {%- if end is not none %} and {{ column }} < {{ utc_start_of(end + td(days=1)) }}{% endif %})
{%- endmacro %}

{#- A SQL date literal of the Python date `day`. -#}
{% macro date_literal(day) -%}
    date '{{ day.isoformat() }}'
{%- endmacro %}
