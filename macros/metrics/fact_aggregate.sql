{#- The aggregate of `metric` over the int_metric_facts_in_window rows aliased `facts` of a
    group: its rows counted (counter, count, first_time), its amounts summed (sum, cumulative:
    the net movement), or its distinct keys counted (unique_counter). -#}
{% macro fact_aggregate(metric, facts) -%}
    {%- set mine = facts ~ ".metric = '" ~ metric.name ~ "'" -%}
    {%- if metric.kind in ['counter', 'count', 'first_time'] -%}
        sum(case when {{ mine }} then 1 else 0 end)
    {%- elif metric.kind in ['sum', 'cumulative'] -%}
        sum(case when {{ mine }} then {{ facts }}.amount else 0 end)
    {%- elif metric.kind == 'unique_counter' -%}
        count(distinct case when {{ mine }} then {{ facts }}.distinct_key end)
    {%- endif -%}
{%- endmacro %}
