{#- A SQL timestamp literal: local midnight of `day` expressed in UTC. -#}
{% macro utc_start_of(day) -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set midnight = modules.datetime.datetime(day.year, day.month, day.day) -%}
    timestamp '{{ (midnight - td(hours=utc_offset_hours())).strftime("%Y-%m-%d %H:%M:%S") }}'
{%- endmacro %}
