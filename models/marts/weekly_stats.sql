{{
    config(
        unique_key=['week_start', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['week_start', 'channel', 'device_type']]) }}"]
    )
}}
{#- 周统计 weekly_stats: ISO weeks (Monday start) x slice. The body: macros/period_stats.sql. -#}
{{ period_stats('week') }}
