{#- Generic test: counts and amounts are never below zero (NULL passes; see columns_not_null).
    Either on a column, or on a model with `columns`: one query for a list of columns (every
    count of a mart in one test keeps `dbt build` fast); the failing rows are returned whole. -#}
{% test not_negative(model, column_name=none, columns=none) %}
    {%- set cols = [column_name] if column_name is not none else columns %}
    {%- if not cols %}
        {{ exceptions.raise_compiler_error("not_negative needs a column or `columns`") }}
    {%- endif %}
    select *
    from {{ model }}
    where
        {%- for col in cols %}
        {% if not loop.first %}or {% endif %}{{ col }} < 0
        {%- endfor %}
{% endtest %}
