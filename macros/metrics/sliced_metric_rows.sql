{#- The rows of every metric of `metrics` (registry dicts; no ratio) whose time falls on the local
    days [start, end] (either bound none: unbounded), each in its slice: columns metric,
    user_id, fact_at, distinct_key, amount, channel, device_type, and with `values` (a list
    of SQL expressions over the source row, one per metric) dimension_value. A source with slice `own`
    (events) keeps the row's channel and device; any other row takes the user's acquisition
    slice from stg_users (users missing there: other/other). Rows: metric_fact_rows. -#}
{% macro sliced_metric_rows(metrics, start, end, values=none) -%}
    select
        metric_rows.metric,
        metric_rows.user_id,
        metric_rows.fact_at,
        metric_rows.distinct_key,
        metric_rows.amount,
        {%- if values is not none %}
        metric_rows.dimension_value,
        {%- endif %}
        case
            when metric_rows.own_slice = 1 then metric_rows.channel
            else coalesce(acquisition_users.channel, 'other')
        end as channel,
        case
            when metric_rows.own_slice = 1 then metric_rows.device_type
            else coalesce(acquisition_users.device_type, 'other')
        end as device_type
    from (
        {%- for metric in metrics %}
        select
            {{ as_string("'" ~ metric.name ~ "'", 64) }} as metric,
            {{ 1 if metric.source_spec.slice == 'own' else 0 }} as own_slice,
            {{ metric.name }}_rows.*
        from ({{ metric_fact_rows(metric, start, end, values[loop.index0] if values else none) }})
            as {{ metric.name }}_rows
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- else %}
        select
            {{ as_string('null', 64) }} as metric,
            0 as own_slice,
            {{ as_string('null', 50) }} as user_id,
            cast(null as datetime) as fact_at,
            {{ as_string('null', 50) }} as channel,
            {{ as_string('null', 20) }} as device_type,
            {{ as_string('null', 102) }} as distinct_key,
            cast(null as decimal(18, 2)) as amount,
            {{ as_string('null', 64) }} as source_id
            {%- if values is not none %},
            {{ as_string('null', 50) }} as dimension_value
            {%- endif %}
        from {{ ref('int_calendar') }}
        where 1 = 0
        {%- endfor %}
    ) as metric_rows
    left join {{ ref('stg_users') }} as acquisition_users
        on metric_rows.own_slice = 0 and metric_rows.user_id = acquisition_users.user_id
{%- endmacro %}
