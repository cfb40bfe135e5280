{#- user_type_daily_stats vs daily_stats, days of the build range: every counted row belongs to
    exactly one user type on its day, so for the registry metrics of user_type_daily_stats
    new + old equals the day's all / all row of daily_stats for an additive metric, and for a
    distinct count of the very key the user type is decided by (visitor_key for a source of
    user_type `visitor`, user_id for `user`: a visitor's or user's rows of a day share one
    type); any other distinct count lies between the larger of new and old and their sum.
    Ratios are recomputed from their parts (metric_definitions_hold). Every day has its two
    rows. One failing row per (day, metric). -#}
{#- Severity error: holds for any input. -#}
{%- set r = build_range() %}
{%- set metrics = mart_metrics('user_type_daily_stats') | rejectattr('kind', 'equalto', 'ratio') | list %}
{%- set type_keys = {'visitor': 'visitor_key', 'user': 'user_id'} %}

with

typed as (
    select
        user_type_rows.stat_date,
        {%- for metric in metrics %}
        max(user_type_rows.{{ metric.name }}) as {{ metric.name }}_max,
        sum(user_type_rows.{{ metric.name }}) as {{ metric.name }}_sum,
        {%- endfor %}
        count(*) as n_types
    from {{ ref('user_type_daily_stats') }} as user_type_rows
    where user_type_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by user_type_rows.stat_date
),

totals as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where
        daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
        and daily_rows.channel = 'all'
        and daily_rows.device_type = 'all'
)

select
    'user types missing' as failed_check,
    totals.stat_date,
    cast(coalesce(typed.n_types, 0) as decimal(18, 2)) as new_plus_old,
    cast(2 as decimal(18, 2)) as daily_stats_value
from totals
left join typed on totals.stat_date = typed.stat_date
where typed.stat_date is null or typed.n_types <> 2

{%- for metric in metrics %}
{%- set adds_up = metric.additive or metric.distinct == type_keys[metric.source_spec.user_type] %}
{%- set value = 'totals.' ~ metric.name %}
{%- set failing = value ~ ' <> typed.' ~ metric.name ~ '_sum' if adds_up else
    value ~ ' < typed.' ~ metric.name ~ '_max or ' ~ value ~ ' > typed.' ~ metric.name ~ '_sum' %}

union all

select
    '{{ metric.name }}' as failed_check,
    totals.stat_date,
    cast(typed.{{ metric.name }}_sum as decimal(18, 2)) as new_plus_old,
    cast(totals.{{ metric.name }} as decimal(18, 2)) as daily_stats_value
from totals
inner join typed on totals.stat_date = typed.stat_date
where {{ failing }}
{%- endfor %}
