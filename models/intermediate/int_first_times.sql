{#- Each user's first-ever row of every first_time metric of the registry (vars.metrics), over
    all history, one row per (metric, user): the earliest row of the metric's source matching
    its filter, by its time column, ties broken by the source's id; rows without a user or a
    time never count. real_name_count, bind_card_count and new_member_count are such metrics
    (models/docs/metrics.md). source_id is the row's id: the breakdowns join the source on it. -#}
{%- set first_time_metrics = metric_registry() | selectattr('kind', 'equalto', 'first_time') | list %}

with

candidates as (
    {%- for metric in first_time_metrics %}
    {%- set own = metric.source_spec.slice == 'own' %}
    select
        source_rows.user_id,
        '{{ metric.name }}' as metric,
        source_rows.{{ metric.time }} as achieved_at,
        {{ as_string('source_rows.' ~ metric.source_spec.id, 64) }} as source_id,
        {{ 'source_rows.channel' if own else as_string('null', 50) }} as channel,
        {{ 'source_rows.device_type' if own else as_string('null', 20) }} as device_type
    from {{ ref(metric.source_spec.model) }} as source_rows
    where
        {{ metric_filter_sql(metric.filter, 'source_rows', 'metric ' ~ metric.name) }}
        and source_rows.{{ metric.time }} is not null
        and source_rows.user_id is not null
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- else %}
    select
        {{ as_string('null', 50) }} as user_id,
        {{ as_string('null', 64) }} as metric,
        cast(null as datetime) as achieved_at,
        {{ as_string('null', 64) }} as source_id,
        {{ as_string('null', 50) }} as channel,
        {{ as_string('null', 20) }} as device_type
    from {{ ref('int_calendar') }}
    where 1 = 0
    {%- endfor %}
),

ranked_candidates as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.user_id, candidates.metric
            order by candidates.achieved_at, candidates.source_id
        ) as first_rank
    from candidates
)

select
    {{ as_string('ranked_candidates.user_id', 50) }} as user_id,
    {{ as_string('ranked_candidates.metric', 64) }} as metric,
    ranked_candidates.achieved_at,
    {{ as_string('ranked_candidates.source_id', 64) }} as source_id,
    {{ as_string('ranked_candidates.channel', 50) }} as channel,
    {{ as_string('ranked_candidates.device_type', 20) }} as device_type
from ranked_candidates
where ranked_candidates.first_rank = 1
