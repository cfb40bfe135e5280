{#- The offset of the statistics time zone from UTC, in hours. -#}
{% macro utc_offset_hours() -%}
    {{ return(var('stats_utc_offset_hours') | int) }}
{%- endmacro %}
