{#- The build range and the time arithmetic around it. Dates are local (stats time zone)
    dates; raw datetimes are UTC. All of it is computed in Jinja so the SQL sees literals. -#}

{% macro utc_offset_hours() -%}
    {{ return(var('stats_utc_offset_hours') | int) }}
{%- endmacro %}

{% macro parse_date(value) -%}
    {{ return(modules.datetime.date.fromisoformat(value | string)) }}
{%- endmacro %}

{#- Returns {'start': date, 'end': date}: the local days this run (re)builds.
      end:   var end_date, else yesterday (local); then moved on to the last day already in
             daily_stats when that is later, so the cumulative amounts and the weekly/monthly
             rows after a backfilled range are carried forward again (a backfill leaves every
             mart as a full rebuild would).
      start: var start_date; else, on a full refresh or before the first build, the first
             local day of data (all history: never a silent cut to the lookback window);
             else end - lookback_days. -#}
{% macro build_range() -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- if var('end_date') -%}
        {%- set end = parse_date(var('end_date')) -%}
    {%- else -%}
        {%- set end = (run_started_at + td(hours=utc_offset_hours())).date() - td(days=1) -%}
    {%- endif -%}
    {%- set last_built = last_built_day() -%}
    {%- set first_day = first_data_day() if (flags.FULL_REFRESH or last_built is none) else none -%}
    {%- if var('start_date') -%}
        {%- set start = parse_date(var('start_date')) -%}
    {%- elif first_day is not none and first_day <= end -%}
        {%- set start = first_day -%}
    {%- else -%}
        {%- set start = end - td(days=var('lookback_days') | int) -%}
    {%- endif -%}
    {%- if start > end -%}
        {{ exceptions.raise_compiler_error("start_date " ~ start ~ " is after end_date " ~ end) }}
    {%- endif -%}
    {%- if last_built is not none and last_built > end -%}
        {%- set end = last_built -%}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{%- endmacro %}

{#- A relation of this target by schema and name, or none when it does not exist. -#}
{% macro existing_relation(schema, identifier) -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}

{#- The date of the first row of a one-value query (none when NULL, or at parse time). -#}
{% macro query_date(sql) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {{ return(none if value is none else parse_date((value | string)[:10])) }}
{%- endmacro %}

{#- The last local day stored in daily_stats: how far the warehouse has been built. -#}
{% macro last_built_day() -%}
    {%- set daily_stats = existing_relation(target.schema, 'daily_stats') if execute else none -%}
    {{ return(query_date("select max(stat_date) from " ~ daily_stats) if daily_stats else none) }}
{%- endmacro %}

{#- The first local day any published number can fall on: the earliest fact time of the raw
    tables (page views and other events, approvals, binds, paid memberships, orders,
    deductions, refunds). Registration dates alone put no number on a day. -#}
{% macro first_data_day() -%}
    {%- set raw_schema = var('raw_schema') or (target.schema ~ '_raw') -%}
    {%- set fact_times = {
        'event_logs': ['event_time'],
        'real_name_auths': ['approved_at'],
        'bank_cards': ['bound_at'],
        'member_orders': ['effective_at', 'paid_at'],
        'orders': ['created_at'],
        'deductions': ['deducted_at'],
        'refunds': ['refunded_at'],
    } -%}
    {%- set minima = [] -%}
    {%- for table, columns in fact_times.items() -%}
        {%- set relation = existing_relation(raw_schema, table) if execute else none -%}
        {%- for column in columns if relation -%}
            {%- do minima.append("select min(" ~ column ~ ") as first_at from " ~ relation) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not minima -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(query_date(
        "select " ~ local_date("min(facts.first_at)") ~ " from (" ~ (minima | join(" union all ")) ~ ") as facts"
    )) }}
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
