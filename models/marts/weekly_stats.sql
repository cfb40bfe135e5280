{{
    config(
        unique_key=['week_start', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['week_start', 'channel', 'device_type']]) }}"]
    )
}}
{#- 周统计 weekly_stats: one row per ISO week (Monday start) x slice for every week that overlaps
    the build range, as of the range end, one column per published metric of the registry.
    Additive metrics are sums over the week's days up to as_of_date; unique counters and ratios
    are recomputed over the week's own rows (never summed); cumulative metrics are their value
    at the end of as_of_date. -#}
{%- set metrics = mart_metrics('weekly_stats') %}

with

period_days as (
    {{- period_days('week') }}
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

week_metrics as (
    {{ grain_metrics('grid', ['period_start'], 'page_views', 'metric_facts', metrics) }}
),

final as (
    select
        week_metrics.period_start as week_start,
        {{ as_int('week_metrics.iso_year') }} as iso_year,
        {{ as_int('week_metrics.iso_week') }} as iso_week,
        week_metrics.as_of_date,
        {{ as_int('week_metrics.days_covered') }} as days_covered,
        {{ as_string('week_metrics.channel', 50) }} as channel,
        {{ as_string('week_metrics.device_type', 20) }} as device_type,
        {%- for metric in metrics %}
        {%- if metric.kind == 'cumulative' %}
        cast(as_of_cumulative.{{ metric.name }} as decimal(18, 2)) as {{ metric.name }}
        {%- else %}
        week_metrics.{{ metric.name }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from week_metrics
    left join {{ ref('cumulative_daily') }} as as_of_cumulative
        on
            week_metrics.as_of_date = as_of_cumulative.stat_date
            and week_metrics.channel = as_of_cumulative.channel
            and week_metrics.device_type = as_of_cumulative.device_type
)

select * from final
