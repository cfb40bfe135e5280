{#- The range widened to whole ISO weeks and calendar months, for period marts. -#}
{% macro period_range() -%}
    {%- set r = build_range() -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set week_start = r.start - td(days=r.start.weekday()) -%}
    {%- set month_start = r.start.replace(day=1) -%}
    {{ return({'start': [week_start, month_start] | min, 'end': r.end}) }}
{%- endmacro %}
