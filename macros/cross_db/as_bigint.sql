{#- `expr` as a 64-bit integer (DuckDB's integer is 32 bits; MySQL's signed is 64). -#}
{% macro as_bigint(expr) -%}
    {{ return(adapter.dispatch('as_bigint', 'bizstats')(expr)) }}
{%- endmacro %}

{% macro default__as_bigint(expr) -%}
    cast({{ expr }} as bigint)
{%- endmacro %}

{% macro mysql__as_bigint(expr) -%}
    cast({{ expr }} as signed)
{%- endmacro %}

{% macro mariadb__as_bigint(expr) -%}
    {{ mysql__as_bigint(expr) }}
{%- endmacro %}
