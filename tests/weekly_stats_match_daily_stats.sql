{#- weekly_stats vs daily_stats: see macros/period_stats_match_daily.sql. -#}
{{ period_stats_match_daily('week') }}
