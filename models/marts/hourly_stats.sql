{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'stat_hour', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'stat_hour', 'channel', 'device_type']]) }}"]
    )
}}
{#- 小时统计 hourly_stats: one row per local day x hour x slice (dense: 24 x 30 a day), one
    column per published metric of the registry. Additive metrics are the hour's own and add up
    to the day; unique counters and ratios are computed over the hour's own rows; cumulative
    metrics are their value at the end of the hour (the end of the day minus the movements of
    the day's later hours). -#}
{%- set r = build_range() %}
{%- set metrics = mart_metrics('hourly_stats') %}

with

hours as (
    {{- integer_rows(24, 'stat_hour') }}
),

day_grid as (
    {{- slice_grid(r.start, r.end) }}
),

grid as (
    select
        day_grid.stat_date,
        hours.stat_hour,
        day_grid.channel,
        day_grid.device_type
    from day_grid
    cross join hours
),

page_views as (
    {{- build_range_rows('int_page_views') }}
),

metric_facts as (
    {{- build_range_rows('int_metric_facts_in_window') }}
),

cumulative_daily as (
    {{- build_range_rows('cumulative_daily') }}
),

hour_metrics as (
    {{ grain_metrics('grid', ['stat_date', 'stat_hour'], 'page_views', 'metric_facts', metrics) }}
),

final as (
    select
        hour_metrics.stat_date,
        {{ as_int('hour_metrics.stat_hour') }} as stat_hour,
        {{ as_string('hour_metrics.channel', 50) }} as channel,
        {{ as_string('hour_metrics.device_type', 20) }} as device_type,
        {%- for metric in metrics %}
        {%- if metric.kind == 'cumulative' %}
        {{ value_at_hour_end(metric, 'day_end', 'hour_metrics') }} as {{ metric.name }}
        {%- else %}
        hour_metrics.{{ metric.name }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from hour_metrics
    left join cumulative_daily as day_end
        on
            hour_metrics.stat_date = day_end.stat_date
            and hour_metrics.channel = day_end.channel
            and hour_metrics.device_type = day_end.device_type
    window later_hours as (
        partition by hour_metrics.stat_date, hour_metrics.channel, hour_metrics.device_type
        order by hour_metrics.stat_hour
        rows between 1 following and unbounded following
    )
)

select * from final
