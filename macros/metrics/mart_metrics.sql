{#- The registry metrics (metric_registry) that are columns of `mart`, in registry order:
    daily_stats, hourly_stats, weekly_stats, monthly_stats: every published metric;
    user_type_daily_stats: every published metric but the cumulative ones;
    cumulative_daily: every cumulative metric, published or not. -#}
{% macro mart_metrics(mart) -%}
    {%- set metrics = metric_registry() -%}
    {%- if mart == 'cumulative_daily' -%}
        {{ return(metrics | selectattr('kind', 'equalto', 'cumulative') | list) }}
    {%- endif -%}
    {%- set published = metrics | selectattr('published') | list -%}
    {%- if mart == 'user_type_daily_stats' -%}
        {{ return(published | rejectattr('kind', 'equalto', 'cumulative') | list) }}
    {%- elif mart in ['daily_stats', 'hourly_stats', 'weekly_stats', 'monthly_stats'] -%}
        {{ return(published) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("mart_metrics: " ~ mart ~ " holds no registry metric") }}
{%- endmacro %}
