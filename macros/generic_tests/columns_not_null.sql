{#- Generic test: none of `columns` is NULL — one query for a list of columns (dense marts hold
    zeros, never NULL). The failing rows are returned whole. -#}
{% test columns_not_null(model, columns) %}
    select *
    from {{ model }}
    where
        {%- for col in columns %}
        {% if not loop.first %}or {% endif %}{{ col }} is null
        {%- endfor %}
{% endtest %}
