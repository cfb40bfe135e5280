{#- `expr` as an integer column. -#}
{% macro as_int(expr) -%}
    {{ return(adapter.dispatch('as_int', 'bizstats')(expr)) }}
{%- endmacro %}

{% macro default__as_int(expr) -%}
    cast({{ expr }} as integer)
{%- endmacro %}

{% macro mysql__as_int(expr) -%}
    cast({{ expr }} as signed)
{%- endmacro %}

{% macro mariadb__as_int(expr) -%}
    {{ mysql__as_int(expr) }}
{%- endmacro %}
