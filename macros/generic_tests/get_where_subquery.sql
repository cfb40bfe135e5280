{#- Tests limited to the build range (dbt's documented way to give tests a dynamic `where`):
    a test's `where` config may use these placeholders, replaced at execution time by
    literals of the current build range (macros/calendar/build_range.sql):
      __range_start__, __range_end__         the first and last local day (date literals),
                                             for local date columns such as stat_date;
      __utc_range_start__, __utc_range_end__ local midnight of the first day and of the day
                                             after the last, in UTC (timestamp literals), for
                                             raw UTC datetimes: `col >= __utc_range_start__
                                             and col < __utc_range_end__` (index-friendly).
    So a nightly tests the rows it rebuilt, not all history. Overrides dbt's macro. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- if '__range_' in where or '__utc_range_' in where -%}
        {%- set r = build_range() if execute else {'start': modules.datetime.date(2000, 1, 1), 'end': modules.datetime.date(2000, 1, 1)} -%}
        {%- set next_day = r.end + modules.datetime.timedelta(days=1) -%}
        {%- set where = where
            | replace('__utc_range_start__', utc_start_of(r.start) | trim)
            | replace('__utc_range_end__', utc_start_of(next_day) | trim)
            | replace('__range_start__', date_literal(r.start) | trim)
            | replace('__range_end__', date_literal(r.end) | trim) -%}
    {%- endif -%}
    {{ return(adapter.dispatch('filtered_relation', 'bizstats')(relation, where)) }}
{%- endmacro %}

{#- The rows of `relation` that match `where`, as a derived table for a test to read. -#}
{% macro default__filtered_relation(relation, where) -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') }}
{%- endmacro %}

{#- MariaDB/MySQL merge a plain derived table into the test's query, and for a `unique` test
    then walk the whole index of the grouped column (all history, a row lookup each) to save
    a sort. A LIMIT keeps the derived table apart: the range is read through its own index
    first and the grouping sorts those rows only (seen: 3.4 s -> the range's share). -#}
{% macro mysql__filtered_relation(relation, where) -%}
    {{ return(
        '(select * from ' ~ relation ~ ' where ' ~ where ~ ' limit 18446744073709551615) as dbt_subquery'
    ) }}
{%- endmacro %}

{% macro mariadb__filtered_relation(relation, where) -%}
    {{ return(mysql__filtered_relation(relation, where)) }}
{%- endmacro %}
