{#- daily_stats, days of the build range: the all / all row recomputed for every published
    metric of the registry by the plain wording of its kind (models/docs/metrics.md), straight from
    its source model (metric_sources) with its filter — no intermediate fact table, no slice
    grid, no rollup: a path independent of the marts'.
      counter, count   rows whose time falls on the day;
      unique_counter   distinct non-null values of `distinct` among them;
      sum              the sum of `amount` over them;
      first_time       users whose earliest qualifying row (by time, over all history; rows
                       without a user or a time never count) falls on the day;
      cumulative       the sum of `amount` over the rows up to the end of the day;
      ratio            numerator / denominator recomputed here (unpublished parts too),
                       rounded half up (ratio_sql), 0 when the denominator is 0.
    One failing row per (day, metric). Severity error: the contract itself, for any input. -#}
{%- set r = build_range() %}
{%- set published = mart_metrics('daily_stats') %}
{%- set ratios = published | selectattr('kind', 'equalto', 'ratio') | list %}
{%- set part_names = ratios | map(attribute='numerator') | list + ratios | map(attribute='denominator') | list %}
{%- set computed = metric_registry()
    | rejectattr('kind', 'equalto', 'ratio')
    | selectattr('name', 'in', published | map(attribute='name') | list + part_names)
    | list %}

with

build_days as (
    select calendar.stat_date
    from {{ ref('int_calendar') }} as calendar
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

{%- for metric in computed %}
{%- set time = 'source_rows.' ~ metric.time %}
{%- set qualifying = metric_filter_sql(metric.filter, 'source_rows', 'metric ' ~ metric.name) %}

{{ metric.name }}_by_day as (
    {%- if metric.kind == 'first_time' %}
    select
        {{ local_date('first_rows.first_at') }} as stat_date,
        count(*) as metric_value
    from (
        select
            source_rows.user_id,
            min({{ time }}) as first_at
        from {{ ref(metric.source_spec.model) }} as source_rows
        where {{ qualifying }} and source_rows.user_id is not null and {{ time }} is not null
        group by source_rows.user_id
    ) as first_rows
    where {{ local_days_between('first_rows.first_at', r.start, r.end) }}
    group by {{ local_date('first_rows.first_at') }}
    {%- elif metric.kind == 'cumulative' %}
    select
        build_days.stat_date,
        sum(source_rows.{{ metric.amount }}) as metric_value
    from build_days
    inner join {{ ref(metric.source_spec.model) }} as source_rows
        on {{ local_date(time) }} <= build_days.stat_date
    where {{ qualifying }} and {{ local_days_between(time, none, r.end) }}
    group by build_days.stat_date
    {%- else %}
    select
        {{ local_date(time) }} as stat_date,
        {%- if metric.kind == 'unique_counter' %}
        count(distinct source_rows.{{ metric.distinct }}) as metric_value
        {%- elif metric.kind == 'sum' %}
        sum(source_rows.{{ metric.amount }}) as metric_value
        {%- else %}
        count(*) as metric_value
        {%- endif %}
    from {{ ref(metric.source_spec.model) }} as source_rows
    where {{ qualifying }} and {{ local_days_between(time, r.start, r.end) }}
    group by {{ local_date(time) }}
    {%- endif %}
),
{%- endfor %}

parts as (
    select
        {%- for metric in computed %}
        coalesce({{ metric.name }}_by_day.metric_value, 0) as {{ metric.name }},
        {%- endfor %}
        build_days.stat_date
    from build_days
    {% for metric in computed -%}
    left join {{ metric.name }}_by_day on build_days.stat_date = {{ metric.name }}_by_day.stat_date
    {% endfor -%}
),

expected as (
    select
        {%- for metric in published %}
        {%- if metric.kind == 'ratio' %}
        {{ ratio_sql(metric, 'parts.' ~ metric.numerator, 'parts.' ~ metric.denominator) | indent(8) }}
            as {{ metric.name }},
        {%- else %}
        parts.{{ metric.name }},
        {%- endif %}
        {%- endfor %}
        parts.stat_date
    from parts
),

published as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.channel = 'all' and daily_rows.device_type = 'all'
),

-- expected and published side by side, joined once: each CTE reference is computed again on
-- MariaDB, so the checks below read this once and unpivot it by metric
compared as (
    select
        expected.*,
        {%- for metric in published %}
        published.{{ metric.name }} as published_{{ metric.name }},
        {%- endfor %}
        published.stat_date as published_date
    from expected
    left join published on expected.stat_date = published.stat_date
),

checks as (
    {%- for check in ['all / all row missing'] + published | map(attribute='name') | list %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select '{{ check }}' as failed_check
    {%- endfor %}
),

check_values as (
    select
        checks.failed_check,
        compared.stat_date,
        compared.published_date,
        case checks.failed_check
            {%- for metric in published %}
            when '{{ metric.name }}' then cast(compared.published_{{ metric.name }} as decimal(24, 6))
            {%- endfor %}
        end as published_value,
        case checks.failed_check
            {%- for metric in published %}
            when '{{ metric.name }}' then cast(compared.{{ metric.name }} as decimal(24, 6))
            {%- endfor %}
        end as contract_value
    from compared
    cross join checks
)

select
    check_values.failed_check,
    check_values.stat_date,
    check_values.published_value,
    check_values.contract_value
from check_values
where
    (check_values.failed_check = 'all / all row missing' and check_values.published_date is null)
    or (check_values.published_date is not null and check_values.published_value <> check_values.contract_value)
