{#- ISO day of week of a date: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'bizstats')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro mysql__iso_day_of_week(date_expr) -%}
    (weekday({{ date_expr }}) + 1)
{%- endmacro %}

{% macro mariadb__iso_day_of_week(date_expr) -%}
    {{ mysql__iso_day_of_week(date_expr) }}
{%- endmacro %}

{#- Spark's weekday(): Monday = 0 ... Sunday = 6. -#}
{% macro spark__iso_day_of_week(date_expr) -%}
    (weekday({{ date_expr }}) + 1)
{%- endmacro %}
