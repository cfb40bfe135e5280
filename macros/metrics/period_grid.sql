{#- The dense grid of a period mart from the CTE `period_days` (macros/metrics/period_days.sql):
    every period x slice, with as_of_date (the period's last built day), days_covered and the
    ISO year and week of that day. -#}
{% macro period_grid(period_days) -%}
    select
        periods.period_start,
        periods.as_of_date,
        periods.days_covered,
        periods.iso_year,
        periods.iso_week,
        slices.channel,
        slices.device_type
    from (
        select
            {{ period_days }}.period_start,
            max({{ period_days }}.stat_date) as as_of_date,
            count(*) as days_covered,
            max({{ period_days }}.iso_year) as iso_year,
            max({{ period_days }}.iso_week) as iso_week
        from {{ period_days }}
        group by {{ period_days }}.period_start
    ) as periods
    cross join {{ ref('int_slices') }} as slices
{%- endmacro %}
