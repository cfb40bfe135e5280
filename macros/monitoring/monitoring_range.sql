{#- The local days a monitoring run judges: exactly the range it is given (dbt vars
    start_date / end_date, else BIZSTATS_BUILD_START / _END: macros/calendar/build_range.sql,
    range_setting), not widened to the last built day as a build is; without one (a plain
    `dbt build`), the build's own range. -#}
{% macro monitoring_range() -%}
    {%- set start_setting = range_setting('start_date') -%}
    {%- set end_setting = range_setting('end_date') -%}
    {%- if start_setting and end_setting -%}
        {{ return({'start': parse_date(start_setting), 'end': parse_date(end_setting)}) }}
    {%- endif -%}
    {{ return(build_range()) }}
{%- endmacro %}
