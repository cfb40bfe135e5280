{#- The counted rows of every registry metric (vars.metrics) but the ratios and those over
    page views (the marts read int_page_views for those), for this run's period range only (the
    build range widened to whole ISO weeks and months): a table rebuilt by every run. One row
    per counted thing (macros/metrics/metric_fact_rows.sql) on the local day and hour of its
    time, in its slice (macros/metrics/sliced_metric_rows.sql). A cumulative metric's rows are
    its movements (the changes of its running total). -#}
{%- set r = period_range() %}
{%- set fact_metrics = metric_registry()
    | rejectattr('kind', 'equalto', 'ratio')
    | rejectattr('source', 'equalto', 'page_views')
    | list %}

with

sliced_rows as (
    {{- sliced_metric_rows(fact_metrics, r.start, r.end) }}
)

select
    {{ as_string('sliced_rows.metric', 64) }} as metric,
    {{ as_string('sliced_rows.user_id', 50) }} as user_id,
    sliced_rows.fact_at,
    {{ local_date('sliced_rows.fact_at') }} as stat_date,
    {{ as_int(local_hour('sliced_rows.fact_at')) }} as stat_hour,
    {{ as_string('sliced_rows.channel', 50) }} as channel,
    {{ as_string('sliced_rows.device_type', 20) }} as device_type,
    {{ as_string('sliced_rows.distinct_key', 102) }} as distinct_key,
    cast(sliced_rows.amount as decimal(18, 2)) as amount
from sliced_rows
