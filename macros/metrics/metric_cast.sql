{#- `expr` cast to the column type of `metric` (its sql_type: integer or a decimal). -#}
{% macro metric_cast(metric, expr) -%}
    {%- if metric.sql_type == 'integer' -%}
        {{ as_int(expr) }}
    {%- else -%}
        cast({{ expr }} as {{ metric.sql_type }})
    {%- endif -%}
{%- endmacro %}
