{#- The rows `metric` counts whose time falls on the local days [start, end] (either bound may be
    none: unbounded), one per counted thing:
      user_id, fact_at, channel, device_type (the row's own for a source with slice `own`, else
      NULL: the caller attributes the user's slice), distinct_key (the `distinct` column of a
      unique_counter), amount (the `amount` column of a sum or cumulative), source_id
    and, with `value` (a SQL expression over the source's row `source_rows`), dimension_value.
    A first_time metric (or a breakdown population with `first_time_of` a first_time metric)
    reads each user's first row (int_first_times), joined back to its source row when `value`
    or an amount is asked for. -#}
{% macro metric_fact_rows(metric, start, end, value=none) -%}
    {%- set spec = metric.source_spec -%}
    {%- set own = spec.slice == 'own' -%}
    {%- if metric.kind == 'first_time' %}
    select
        first_times.user_id,
        first_times.achieved_at as fact_at,
        first_times.channel,
        first_times.device_type,
        {{ as_string('null', 102) }} as distinct_key,
        cast({{ 'source_rows.' ~ metric.amount if metric.amount else 'null' }} as decimal(18, 2)) as amount,
        first_times.source_id
        {%- if value %},
        {{ value }} as dimension_value
        {%- endif %}
    from {{ ref('int_first_times') }} as first_times
    {%- if value or metric.amount %}
    inner join {{ ref(spec.model) }} as source_rows on first_times.source_id = source_rows.{{ spec.id }}
    {%- endif %}
    where
        first_times.metric = '{{ metric.get('first_time_of') or metric.name }}'
        and {{ local_days_between('first_times.achieved_at', start, end) }}
    {%- else %}
    select
        source_rows.user_id,
        source_rows.{{ metric.time }} as fact_at,
        {{ 'source_rows.channel' if own else as_string('null', 50) }} as channel,
        {{ 'source_rows.device_type' if own else as_string('null', 20) }} as device_type,
        {{ as_string('source_rows.' ~ metric.distinct if metric.distinct else 'null', 102) }} as distinct_key,
        cast({{ 'source_rows.' ~ metric.amount if metric.amount else 'null' }} as decimal(18, 2)) as amount,
        {{ as_string('source_rows.' ~ spec.id, 64) }} as source_id
        {%- if value %},
        {{ value }} as dimension_value
        {%- endif %}
    from {{ ref(spec.model) }} as source_rows
    where
        {{ metric_filter_sql(metric.filter, 'source_rows', 'metric ' ~ metric.name) }}
        and {{ local_days_between('source_rows.' ~ metric.time, start, end) }}
    {%- endif %}
{%- endmacro %}
