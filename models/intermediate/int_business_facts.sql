{#- Business facts of the period range, one row per counted thing, attributed to the user's
    acquisition slice (users missing from `users`: other/other):
      real_name / bind_card / new_member   first-ever milestone reached on that day
      credit_order                         order with pay_method = 'credit' (every status)
      member_deduction                     successful member deduction (gross amount)
      member_net / total_net               signed movement of the cumulative amounts -#}
{%- set r = period_range() %}

with

facts as (
    select
        m.user_id,
        m.milestone as fact,
        m.achieved_at as fact_at,
        cast(null as decimal(18, 2)) as amount
    from {{ ref('int_user_milestones') }} as m
    where {{ local_days_between('m.achieved_at', r.start, r.end) }}

    union all

    select
        o.user_id,
        'credit_order' as fact,
        o.created_at as fact_at,
        o.amount
    from {{ ref('stg_orders') }} as o
    where o.pay_method = 'credit' and {{ local_days_between('o.created_at', r.start, r.end) }}

    union all

    select
        d.user_id,
        'member_deduction' as fact,
        d.deducted_at as fact_at,
        d.amount
    from {{ ref('stg_deductions') }} as d
    where
        d.service_type = 'member'
        and d.status = 'success'
        and {{ local_days_between('d.deducted_at', r.start, r.end) }}

    union all

    select
        mv.user_id,
        'member_net' as fact,
        mv.movement_at as fact_at,
        mv.signed_amount as amount
    from ({{ deduction_movements(r.start, r.end) }}) as mv
    where mv.service_type = 'member'

    union all

    select
        mv.user_id,
        'total_net' as fact,
        mv.movement_at as fact_at,
        mv.signed_amount as amount
    from ({{ deduction_movements(r.start, r.end) }}) as mv
),

sliced as (
    {{ with_user_slice('select f.* from facts as f') }}
)

select
    {{ as_string('s.user_id', 50) }} as user_id,
    {{ as_string('s.fact', 20) }} as fact,
    s.fact_at,
    {{ local_date('s.fact_at') }} as stat_date,
    {{ as_int(local_hour('s.fact_at')) }} as stat_hour,
    {{ as_string('s.channel', 50) }} as channel,
    {{ as_string('s.device_type', 20) }} as device_type,
    cast(s.amount as decimal(18, 2)) as amount
from sliced as s
