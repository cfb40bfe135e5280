{#- The build range and the time arithmetic around it. Dates are local (stats time zone)
    dates; raw datetimes are UTC. All of it is computed in Jinja so the SQL sees literals. -#}

{% macro utc_offset_hours() -%}
    {{ return(var('stats_utc_offset_hours') | int) }}
{%- endmacro %}

{% macro parse_date(value) -%}
    {{ return(modules.datetime.date.fromisoformat(value | string)) }}
{%- endmacro %}

{#- Returns {'start': date, 'end': date}: the local days this run (re)builds. -#}
{% macro build_range() -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- if var('end_date') -%}
        {%- set end = parse_date(var('end_date')) -%}
    {%- else -%}
        {%- set end = (run_started_at + td(hours=utc_offset_hours())).date() - td(days=1) -%}
    {%- endif -%}
    {%- if var('start_date') -%}
        {%- set start = parse_date(var('start_date')) -%}
    {%- else -%}
        {%- set start = end - td(days=var('lookback_days') | int) -%}
    {%- endif -%}
    {%- if start > end -%}
        {{ exceptions.raise_compiler_error("start_date " ~ start ~ " is after end_date " ~ end) }}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{%- endmacro %}

{#- The range widened to whole ISO weeks and calendar months, for period marts. -#}
{% macro period_range() -%}
    {%- set r = build_range() -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set week_start = r.start - td(days=r.start.weekday()) -%}
    {%- set month_start = r.start.replace(day=1) -%}
    {{ return({'start': [week_start, month_start] | min, 'end': r.end}) }}
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

{% macro to_local(column) -%}
    ({{ column }} + interval ({{ utc_offset_hours() }}) hour)
{%- endmacro %}

{% macro local_date(column) -%}
    cast({{ to_local(column) }} as date)
{%- endmacro %}

{% macro local_hour(column) -%}
    extract(hour from {{ to_local(column) }})
{%- endmacro %}

{% macro date_literal(day) -%}
    date '{{ day.isoformat() }}'
{%- endmacro %}

{#- One row per local day in [start, end] with its ISO week and month. -#}
{% macro calendar_rows(start, end) -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set n = (end - start).days -%}
    {%- for i in range(n + 1) -%}
        {%- set d = start + td(days=i) -%}
        {%- set iso = d.isocalendar() %}
    select
        {{ date_literal(d) }} as stat_date,
        {{ date_literal(d - td(days=d.weekday())) }} as week_start,
        {{ iso[0] }} as iso_year,
        {{ iso[1] }} as iso_week,
        {{ date_literal(d.replace(day=1)) }} as month_start
        {%- if not loop.last %}
    union all
        {%- endif -%}
    {%- endfor %}
{%- endmacro %}
