{{
    config(
        unique_key=['month_start', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['month_start', 'channel', 'device_type']]) }}"]
    )
}}
{#- 月统计 monthly_stats: calendar months x slice. The body: macros/period_stats.sql. -#}
{{ period_stats('month') }}
