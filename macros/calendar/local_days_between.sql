{#- A predicate: the UTC datetime column falls on a local day in [start, end]; either bound
    may be none (unbounded). A NULL column never matches. Sargable: compares the raw column
    with UTC literals. -#}
{% macro local_days_between(column, start, end) -%}
    {%- set td = modules.datetime.timedelta -%}
    ({{ column }} is not null
    {%- if start is not none %} and {{ column }} >= {{ utc_start_of(start) }}{% endif %}
    {%- if end is not none %} and {{ column }} < {{ utc_start_of(end + td(days=1)) }}{% endif %})
{%- endmacro %}
