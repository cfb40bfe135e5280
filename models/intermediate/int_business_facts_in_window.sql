{#- Business facts of this run's period range only (the build range widened to whole ISO weeks
    and months): a table rebuilt by every run, holding no other days. One row per counted
    thing, attributed to the user's acquisition slice (users missing from `users`:
    other/other):
      real_name / bind_card / new_member   first-ever milestone reached on that day
      credit_order                         order with pay_method = 'credit' (every status)
      member_deduction                     successful member deduction (gross amount)
      member_net / total_net               signed movement of the cumulative amounts -#}
{%- set r = period_range() %}

with

range_movements as (
    {{ deduction_movements(ref('stg_deductions'), ref('stg_refunds'), r.start, r.end) }}
),

range_facts as (
    select
        milestones.user_id,
        milestones.milestone as fact,
        milestones.achieved_at as fact_at,
        cast(null as decimal(18, 2)) as amount
    from {{ ref('int_user_milestones') }} as milestones
    where {{ local_days_between('milestones.achieved_at', r.start, r.end) }}

    union all

    select
        credit_orders.user_id,
        'credit_order' as fact,
        credit_orders.created_at as fact_at,
        credit_orders.amount
    from {{ ref('stg_orders') }} as credit_orders
    where
        credit_orders.pay_method = 'credit'
        and {{ local_days_between('credit_orders.created_at', r.start, r.end) }}

    union all

    select
        member_deductions.user_id,
        'member_deduction' as fact,
        member_deductions.deducted_at as fact_at,
        member_deductions.amount
    from {{ ref('stg_deductions') }} as member_deductions
    where
        member_deductions.service_type = 'member'
        and member_deductions.status = 'success'
        and {{ local_days_between('member_deductions.deducted_at', r.start, r.end) }}

    union all

    select
        member_movements.user_id,
        'member_net' as fact,
        member_movements.movement_at as fact_at,
        member_movements.signed_amount as amount
    from range_movements as member_movements
    where member_movements.service_type = 'member'

    union all

    select
        range_movements.user_id,
        'total_net' as fact,
        range_movements.movement_at as fact_at,
        range_movements.signed_amount as amount
    from range_movements
),

sliced_facts as (
    {{ with_user_slice('range_facts', ref('stg_users')) }}
)

select
    {{ as_string('sliced_facts.user_id', 50) }} as user_id,
    {{ as_string('sliced_facts.fact', 20) }} as fact,
    sliced_facts.fact_at,
    {{ local_date('sliced_facts.fact_at') }} as stat_date,
    {{ as_int(local_hour('sliced_facts.fact_at')) }} as stat_hour,
    {{ as_string('sliced_facts.channel', 50) }} as channel,
    {{ as_string('sliced_facts.device_type', 20) }} as device_type,
    cast(sliced_facts.amount as decimal(18, 2)) as amount
from sliced_facts
