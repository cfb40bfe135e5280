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
        user_type_rows.stat_date,
        count(*) as n_types,
        {%- for m in metrics %}
        sum(user_type_rows.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
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

{%- for m in metrics %}

union all

select
    '{{ m }}' as failed_check,
    totals.stat_date,
    cast(typed.{{ m }} as decimal(18, 2)) as new_plus_old,
    cast(totals.{{ m }} as decimal(18, 2)) as daily_stats_value
from totals
inner join typed on totals.stat_date = typed.stat_date
where typed.{{ m }} <> totals.{{ m }}
{%- endfor %}
