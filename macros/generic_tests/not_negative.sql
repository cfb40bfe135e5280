{#- Generic test: counts and amounts are never below zero (NULL passes; see columns_not_null).
    On a column; or on a model with `columns`, one query for a list of columns (every count of
    a mart in one test keeps `dbt build` fast); or with `metrics_of` (a mart name), the metric
    columns of that mart in the registry: with `cumulative` false (default) every metric but
    the cumulative ones — counts, sums, distinct counts and ratios are >= 0 by definition —,
    with `cumulative` true the cumulative ones only (a running total net of reversals can go
    below 0: configured `severity: warn` where it is used). The failing rows are returned
    whole; no column to test (a registry without cumulative metrics) passes. -#}
{% test not_negative(model, column_name=none, columns=none, metrics_of=none, cumulative=false) %}
    {%- if column_name is not none %}
        {%- set cols = [column_name] %}
    {%- elif metrics_of %}
        {%- set kinds = ['cumulative'] if cumulative else
            ['counter', 'count', 'unique_counter', 'sum', 'first_time', 'ratio'] %}
        {%- set cols = mart_metric_columns(metrics_of, kinds) %}
    {%- else %}
        {%- set cols = columns %}
    {%- endif %}
    {%- if not cols and not metrics_of %}
        {{ exceptions.raise_compiler_error("not_negative needs a column, `columns` or `metrics_of`") }}
    {%- endif %}
    select *
    from {{ model }}
    where
        {%- for col in cols %}
        {% if not loop.first %}or {% endif %}{{ col }} < 0
        {%- else %}
        1 = 0
        {%- endfor %}
{% endtest %}
