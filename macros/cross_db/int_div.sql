{#- Integer division of `dividend` by `divisor`, truncating. -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'bizstats')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}

{% macro mysql__int_div(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}

{% macro mariadb__int_div(dividend, divisor) -%}
    {{ mysql__int_div(dividend, divisor) }}
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}
