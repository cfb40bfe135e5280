{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes(['stat_date', 'channel'],
            unique=[['stat_date', 'channel', 'device_type']],
            int_columns=mart_metrics('daily_stats') | selectattr('sql_type', 'equalto', 'integer')
                | map(attribute='name') | list) }}"]
    )
}}
{#- 日统计表 daily_stats: one row per local day x channel x device_type, a dense
    grid of 30 slices a day, zeros where nothing happened, with one column per published metric
    of the registry (vars.metrics in dbt_project.yml; macros/metrics/grain_metrics.sql computes
    them, cumulative ones come from cumulative_daily). Incremental over the build range;
    re-running gives identical rows (created_at/updated_at kept unless a number changes). -#}
{%- set r = build_range() %}
{%- set metrics = mart_metrics('daily_stats') %}
{%- set key_columns = ['stat_date', 'channel', 'device_type'] %}

with

grid as (
    {{- slice_grid(r.start, r.end) }}
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

day_metrics as (
    {{ grain_metrics('grid', ['stat_date'], 'page_views', 'metric_facts', metrics) }}
),

final as (
    select
        day_metrics.stat_date,
        {%- for metric in metrics %}
        {%- if metric.kind == 'cumulative' %}
        cast(cumulative_daily.{{ metric.name }} as decimal(18, 2)) as {{ metric.name }},
        {%- else %}
        day_metrics.{{ metric.name }},
        {%- endif %}
        {%- endfor %}
        {{ as_string('day_metrics.channel', 50) }} as channel,
        {{ as_string('day_metrics.device_type', 20) }} as device_type
    from day_metrics
    left join cumulative_daily
        on
            day_metrics.stat_date = cumulative_daily.stat_date
            and day_metrics.channel = cumulative_daily.channel
            and day_metrics.device_type = cumulative_daily.device_type
)

select
    final.*,
    {{ keep_timestamps('final', 'stored_rows', metrics | map(attribute='name') | list, key_columns) }}
from final
{{ previous_rows_join('final', 'stored_rows', key_columns) }}
