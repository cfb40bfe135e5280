{#- Generic test: a period key is the first day of its period — an ISO week starts on Monday
    (ISO day of week 1, macros/cross_db/iso_day_of_week.sql), a month on day 1. -#}
{% test is_period_start(model, column_name, period) %}
    {%- if period not in ('week', 'month') %}
        {{ exceptions.raise_compiler_error("is_period_start: period must be week or month, got " ~ period) }}
    {%- endif %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if period == 'week' %}
        and {{ bizstats.iso_day_of_week(column_name) }} <> 1
        {%- else %}
        and extract(day from {{ column_name }}) <> 1
        {%- endif %}
{% endtest %}
