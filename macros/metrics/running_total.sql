{#- The running total of the cumulative `metric` in cumulative_daily: its base (the total before
    the build range) plus its movements up to the row's day (window `running_total`), over the
    rows aliased `days` (<name>_base, <name>_movement). -#}
{% macro running_total(metric, days) -%}
    cast(
        {{ days }}.{{ metric.name }}_base
        + sum({{ days }}.{{ metric.name }}_movement) over running_total
        as decimal(18, 2)
    )
{%- endmacro %}
