{#- The build range: the local days a run (re)builds, and the questions about the warehouse it
    depends on (how far daily_stats is built, the first day of data). Computed in Jinja at
    compile time, so the SQL sees date literals. Time-zone helpers: macros/local_time.sql. -#}

{#- A Python date from an ISO date string (a dbt var or a query result). -#}
{% macro parse_date(value) -%}
    {{ return(modules.datetime.date.fromisoformat(value | string)) }}
{%- endmacro %}

{#- A range bound, as an ISO date string or none: the dbt var `name` (`start_date` /
    `end_date`), else the environment variable BIZSTATS_BUILD_START / _END. The bizstats
    wrapper sets the environment variables: vars given on the command line change the parse
    state, so every nightly (a new date) would re-parse the whole project; an environment
    variable read only at execution time leaves dbt's partial parsing intact. -#}
{% macro range_setting(name) -%}
    {%- if var(name) -%}
        {{ return(var(name) | string) }}
    {%- endif -%}
    {%- set env_name = 'BIZSTATS_BUILD_' ~ name.split('_')[0] | upper -%}
    {{ return((env_var(env_name, '') if execute else '') or none) }}
{%- endmacro %}

{#- Returns {'start': date, 'end': date}: the local days this run (re)builds.
      end:   range_setting('end_date'), else yesterday (local); then moved on to the last day already in
             daily_stats when that is later, so the cumulative amounts and the weekly/monthly
             rows after a backfilled range are carried forward again (a backfill leaves every
             mart as a full rebuild would).
      start: range_setting('start_date') (the bizstats wrapper always sets it, see
             bizstats/build.py);
             else, on a full refresh or before the first build, the first local day of data
             (all history: never a silent cut to the lookback window); else end -
             lookback_days, and no later than the day after the last built day (no gap). -#}
{% macro build_range() -%}
    {%- set td = modules.datetime.timedelta -%}
    {%- set end_setting = range_setting('end_date') -%}
    {%- set start_setting = range_setting('start_date') -%}
    {%- if end_setting -%}
        {%- set end = parse_date(end_setting) -%}
    {%- else -%}
        {%- set end = (run_started_at + td(hours=utc_offset_hours())).date() - td(days=1) -%}
    {%- endif -%}
    {%- set last_built = last_built_day() -%}
    {%- if start_setting -%}
        {%- set start = parse_date(start_setting) -%}
    {%- else -%}
        {%- set first_day = first_data_day() if (flags.FULL_REFRESH or last_built is none) else none -%}
        {%- set candidates = [end - td(days=var('lookback_days') | int)] -%}
        {%- if first_day is not none and first_day <= end -%}
            {%- do candidates.append(first_day) -%}
        {%- elif last_built is not none and last_built < end -%}
            {%- do candidates.append(last_built + td(days=1)) -%}
        {%- endif -%}
        {%- set start = candidates | min -%}
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
