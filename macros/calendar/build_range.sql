{#- The build range: the local days a run (re)builds, and the questions about the warehouse it
    depends on (how far daily_stats is built, the first day of data). Computed in Jinja at
    compile time, so the SQL sees date literals. Time-zone helpers: macros/calendar/. -#}

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
