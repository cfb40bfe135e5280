{#- Generic test: none of `columns` is NULL — one query for a list of columns (dense marts hold
    zeros, never NULL); with `metrics_of` (a mart name), every metric column of that mart in
    the registry too (macros/generic_tests/mart_metric_columns.sql), so a new metric is tested
    with no yml edit. The failing rows are returned whole. -#}
{% test columns_not_null(model, columns=[], metrics_of=none) %}
    {%- set cols = columns + (mart_metric_columns(metrics_of) if metrics_of else []) %}
    select *
    from {{ model }}
    where
        {%- for col in cols %}
        {% if not loop.first %}or {% endif %}{{ col }} is null
        {%- endfor %}
{% endtest %}
