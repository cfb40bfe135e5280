{#- user_type_daily_stats vs daily_stats, days of the build range: each page view and each
    business fact belongs to exactly one user type on its day, so new + old equals the day's
    all / all row of daily_stats for pv, uv and every business metric. One failing row per
    (day, metric). -#}
{#- Severity error: holds for any input (a visitor's views of a day share one user type,
    so uv adds up too). -#}
{%- set r = build_range() %}
{%- set metrics = [
    'pv', 'uv', 'real_name_count', 'bind_card_count', 'new_member_count', 'credit_order_count',
    'daily_member_deduction'
] %}

with

typed as (
    select
        ut.stat_date,
        count(*) as n_types,
        {%- for m in metrics %}
        sum(ut.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('user_type_daily_stats') }} as ut
    where ut.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by ut.stat_date
),

totals as (
    select ds.*
    from {{ ref('daily_stats') }} as ds
    where
        ds.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
        and ds.channel = 'all'
        and ds.device_type = 'all'
)

select
    'user types missing' as failed_check,
    tot.stat_date,
    cast(coalesce(t.n_types, 0) as decimal(18, 2)) as new_plus_old,
    cast(2 as decimal(18, 2)) as daily_stats_value
from totals as tot
left join typed as t on tot.stat_date = t.stat_date
where t.stat_date is null or t.n_types <> 2

{%- for m in metrics %}

union all

select
    '{{ m }}' as failed_check,
    tot.stat_date,
    cast(t.{{ m }} as decimal(18, 2)) as new_plus_old,
    cast(tot.{{ m }} as decimal(18, 2)) as daily_stats_value
from totals as tot
inner join typed as t on tot.stat_date = t.stat_date
where t.{{ m }} <> tot.{{ m }}
{%- endfor %}
