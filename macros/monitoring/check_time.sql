{#- When a monitoring run judges (UTC, naive datetime): the environment variable
    BIZSTATS_CHECK_NOW (YYYY-MM-DD HH:MM:SS, set by bizstats.checks.run_checks, read at
    execution time only so dbt's partial parsing is kept), else the run's start. -#}
{% macro check_time() -%}
    {%- set setting = env_var('BIZSTATS_CHECK_NOW', '') if execute else '' -%}
    {%- if setting -%}
        {{ return(modules.datetime.datetime.fromisoformat(setting)) }}
    {%- endif -%}
    {{ return(run_started_at.replace(tzinfo=none)) }}
{%- endmacro %}
