{#- The local days of every `period` ('week': ISO weeks from Monday; 'month') that overlaps the
    build range, up to its end: stat_date, period_start, iso_year, iso_week. The weekly and
    monthly marts are built from them, so a period is recomputed as of the range's end. -#}
{% macro period_days(period) -%}
    {%- set r = build_range() -%}
    select
        calendar.stat_date,
        calendar.{{ period }}_start as period_start,
        calendar.iso_year,
        calendar.iso_week
    from {{ ref('int_calendar') }} as calendar
    where
        calendar.stat_date <= {{ date_literal(r.end) }}
        and calendar.{{ period }}_start in (
            select range_days.{{ period }}_start
            from {{ ref('int_calendar') }} as range_days
            where range_days.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
        )
{%- endmacro %}
