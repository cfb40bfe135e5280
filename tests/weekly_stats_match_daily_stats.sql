{#- weekly_stats vs daily_stats: see macros/period_tests.sql. -#}
{{ period_stats_match_daily('week') }}
