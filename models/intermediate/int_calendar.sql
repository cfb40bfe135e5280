{{ config(materialized='ephemeral') }}
{#- The local days of this run's period range (the build range widened to whole ISO weeks and
    calendar months, up to the range end), with their ISO week and month. Generated from the
    build range, not from data, so days without any data still get rows. Ephemeral: inlined
    into every model that reads it, with that model's build range. -#}
{%- set r = period_range() %}
{%- set td = modules.datetime.timedelta %}

{%- for offset in range((r.end - r.start).days + 1) %}
{%- set day = r.start + td(days=offset) %}
select
    {{ date_literal(day) }} as stat_date,
    {{ date_literal(day - td(days=day.weekday())) }} as week_start,
    {{ day.isocalendar()[0] }} as iso_year,
    {{ day.isocalendar()[1] }} as iso_week,
    {{ date_literal(day.replace(day=1)) }} as month_start
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
