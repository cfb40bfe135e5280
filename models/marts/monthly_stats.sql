{{
    config(
        unique_key=['month_start', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['month_start', 'channel', 'device_type']]) }}"]
    )
}}
{#- 月统计 monthly_stats: one row per calendar month x slice for every month that overlaps
    the build range, as of the range end, one column per published metric of the registry.
    Additive metrics are sums over the month's days up to as_of_date; unique counters and ratios
    are recomputed over the month's own rows (never summed); cumulative metrics are their value
    at the end of as_of_date. -#}
{%- set metrics = mart_metrics('monthly_stats') %}

with

period_days as (
    {{- period_days('month') }}
),

grid as (
    {{- period_grid('period_days') }}
),

page_views as (
    {{- period_rows('int_page_views', 'period_days') }}
),

metric_facts as (
    {{- period_rows('int_metric_facts_in_window', 'period_days') }}
),

month_metrics as (
    {{ grain_metrics('grid', ['period_start'], 'page_views', 'metric_facts', metrics) }}
),

final as (
    select
        month_metrics.period_start as month_start,
        month_metrics.as_of_date,
        {{ as_int('month_metrics.days_covered') }} as days_covered,
        {{ as_string('month_metrics.channel', 50) }} as channel,
        {{ as_string('month_metrics.device_type', 20) }} as device_type,
        {%- for metric in metrics %}
        {%- if metric.kind == 'cumulative' %}
        cast(as_of_cumulative.{{ metric.name }} as decimal(18, 2)) as {{ metric.name }}
        {%- else %}
        month_metrics.{{ metric.name }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from month_metrics
    left join {{ ref('cumulative_daily') }} as as_of_cumulative
        on
            month_metrics.as_of_date = as_of_cumulative.stat_date
            and month_metrics.channel = as_of_cumulative.channel
            and month_metrics.device_type = as_of_cumulative.device_type
)

select * from final
