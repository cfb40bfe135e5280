{#- How far the raw events have landed, at execution time (none values at parse time or on
    an empty table). Returns {'newest_event': newest event_time, 'newest_load': newest
    _loaded_at, 'watermark': the freshness watermark, 'last_complete_day': local date or
    none}: all UTC naive datetimes but the date. The watermark is the newest event_time, no
    later than the newest load nor than `now` (a clock-skewed event from the future does
    not complete a day). Local day D is complete when the watermark has reached the end of D
    (local midnight of D + 1): only complete days are judged, so a half-loaded day never
    raises a false drop. -#}
{% macro raw_event_freshness(now) -%}
    {%- set empty = {'newest_event': none, 'newest_load': none, 'watermark': none, 'last_complete_day': none} -%}
    {%- set raw_events = existing_relation(var('raw_schema') or (target.schema ~ '_raw'), 'event_logs') if execute else none -%}
    {%- if not raw_events -%}
        {{ return(empty) }}
    {%- endif -%}
    {%- set row = run_query(
        "select max(event_time) as newest_event, max(_loaded_at) as newest_load from " ~ raw_events
    ).rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(empty) }}
    {%- endif -%}
    {%- set newest_event = as_datetime(row[0]) -%}
    {%- set newest_load = as_datetime(row[1]) -%}
    {%- set watermark = [newest_event, newest_load, now] | min -%}
    {%- set td = modules.datetime.timedelta -%}
    {{ return({
        'newest_event': newest_event,
        'newest_load': newest_load,
        'watermark': watermark,
        'last_complete_day': (watermark + td(hours=utc_offset_hours())).date() - td(days=1),
    }) }}
{%- endmacro %}

{#- A query result's datetime value (a datetime, or its text) as a naive datetime, to the second. -#}
{% macro as_datetime(value) -%}
    {%- set text = value.strftime('%Y-%m-%d %H:%M:%S') if value.strftime is defined else (value | string)[:19] -%}
    {{ return(modules.datetime.datetime.fromisoformat(text)) }}
{%- endmacro %}
