{#- The run's start time (UTC) as a datetime value, for the created_at / updated_at columns. -#}
{% macro run_timestamp() -%}
    {{ return(adapter.dispatch('run_timestamp', 'bizstats')()) }}
{%- endmacro %}

{% macro default__run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}

{% macro mysql__run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as datetime)
{%- endmacro %}

{% macro mariadb__run_timestamp() -%}
    {{ mysql__run_timestamp() }}
{%- endmacro %}
