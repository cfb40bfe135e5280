{#- The rows of the model `model` on the days of the CTE `period_days` (macros/metrics/period_days.sql),
    each with its period_start: an import CTE of the weekly and monthly marts. -#}
{% macro period_rows(model, period_days) -%}
    select
        {{ model }}.*,
        {{ period_days }}.period_start
    from {{ ref(model) }} as {{ model }}
    inner join {{ period_days }} on {{ model }}.stat_date = {{ period_days }}.stat_date
{%- endmacro %}
