{#- avg_visit_duration from a total duration and a uv (SQL expressions): round(total_duration /
    uv) half up, 0 when uv = 0, in integers so DuckDB and MySQL agree. -#}
{% macro avg_visit_duration(total_duration, uv) -%}
    case
        when {{ uv }} = 0 then 0
        else {{ int_div('2 * ' ~ total_duration ~ ' + ' ~ uv, '2 * ' ~ uv) }}
    end
{%- endmacro %}
