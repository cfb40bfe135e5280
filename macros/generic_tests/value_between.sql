{#- Generic test: values lie in [min, max] (bounds inclusive; either may be none). Either on a
    column (min_value / max_value), or on a model with `columns`: a mapping column -> [min,
    max], one query for several columns of one model (one dbt node instead of one per column);
    the failing rows are returned whole. Error only when the bounds follow from a definition
    (an hour is 0-23, the per-view clamp, a 0/1 flag); a plausibility range
    (avg_visit_duration <= 86400) is configured `severity: warn` where it is used. -#}
{% test value_between(model, column_name=none, min_value=none, max_value=none, columns=none) %}
    {%- set bounds = columns if columns is not none else {column_name: [min_value, max_value]} %}
    {%- set conditions = [] %}
    {%- for col, limits in bounds.items() %}
        {%- if limits[0] is not none %}{% do conditions.append(col ~ ' < ' ~ limits[0]) %}{% endif %}
        {%- if limits[1] is not none %}{% do conditions.append(col ~ ' > ' ~ limits[1]) %}{% endif %}
    {%- endfor %}
    {%- if not conditions %}
        {{ exceptions.raise_compiler_error("value_between needs a column with min_value or max_value, or `columns`") }}
    {%- endif %}
    select *
    from {{ model }}
    where
        {%- for condition in conditions %}
        {% if not loop.first %}or {% endif %}{{ condition }}
        {%- endfor %}
{% endtest %}
