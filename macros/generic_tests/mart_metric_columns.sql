{#- The metric columns of `mart` (macros/metrics/mart_metrics.sql), in registry order, for the
    generic tests that take `metrics_of`: the metric names, and on cumulative_daily each
    cumulative metric's `<name>_movement` beside it. `kinds`: only the metric columns of those
    kinds, no movement (none: every metric column). Test plumbing, not a test. -#}
{% macro mart_metric_columns(mart, kinds=none) -%}
    {%- set names = [] -%}
    {%- for metric in mart_metrics(mart) if kinds is none or metric.kind in kinds -%}
        {%- do names.append(metric.name) -%}
        {%- if mart == 'cumulative_daily' and kinds is none -%}
            {%- do names.append(metric.name ~ '_movement') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
