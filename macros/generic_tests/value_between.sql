{#- Generic test: the column lies in [min_value, max_value] (bounds inclusive; either may be
    omitted). Error only when the bounds follow from a definition (an hour is 0-23, the
    per-view clamp); a plausibility range (avg_visit_duration <= 86400) is configured
    `severity: warn` where it is used. -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
    {%- if min_value is none and max_value is none %}
        {{ exceptions.raise_compiler_error("value_between needs min_value or max_value") }}
    {%- endif %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where
        {%- if min_value is not none %}
        {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %}
        or
        {%- endif %}
        {%- if max_value is not none %}
        {{ column_name }} > {{ max_value }}
        {%- endif %}
{% endtest %}
