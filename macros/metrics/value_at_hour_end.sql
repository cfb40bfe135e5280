{#- The value of the cumulative `metric` at the end of each hour of hourly_stats: its value at the
    end of the day (`day_end`, a cumulative_daily row) minus its movements in the day's later
    hours (`hours`: the hour rows with <name>_movement, window `later_hours`). -#}
{% macro value_at_hour_end(metric, day_end, hours) -%}
    cast(
        {{ day_end }}.{{ metric.name }}
        - coalesce(sum({{ hours }}.{{ metric.name }}_movement) over later_hours, 0)
        as decimal(18, 2)
    )
{%- endmacro %}
