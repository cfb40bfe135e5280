{#- The Python datetime `value` as a typed SQL datetime (to the second): TIMESTAMP on DuckDB,
    DATETIME on MySQL/MariaDB, so that a column built from it has the type of the marts'
    created_at. -#}
{% macro datetime_value(value) -%}
    {{ return(adapter.dispatch('datetime_value', 'bizstats')(value)) }}
{%- endmacro %}

{% macro default__datetime_value(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}

{% macro mysql__datetime_value(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S") }}' as datetime)
{%- endmacro %}

{% macro mariadb__datetime_value(value) -%}
    {{ mysql__datetime_value(value) }}
{%- endmacro %}
