{#- The aggregate of `metric` (source page_views) over the page views aliased `views` of a
    group: rows counted, distinct values counted, or an amount summed, among the rows its
    filter keeps. -#}
{% macro traffic_aggregate(metric, views) -%}
    {%- set kept = metric_filter_sql(metric.filter, views, 'metric ' ~ metric.name) -%}
    {%- if metric.kind in ['counter', 'count'] -%}
        {{ 'count(*)' if kept == '1 = 1' else 'sum(case when ' ~ kept ~ ' then 1 else 0 end)' }}
    {%- elif metric.kind == 'unique_counter' -%}
        {%- set value = views ~ '.' ~ metric.distinct -%}
        count(distinct {{ value if kept == '1 = 1' else 'case when ' ~ kept ~ ' then ' ~ value ~ ' end' }})
    {%- elif metric.kind == 'sum' -%}
        sum(case when {{ kept }} then {{ views }}.{{ metric.amount }} else 0 end)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "metric " ~ metric.name ~ ": a " ~ metric.kind ~ " cannot read page_views: use the source events") }}
    {%- endif -%}
{%- endmacro %}
