{#- Facts behind the breakdowns the seed asks to record, for the build range, attributed to
    the user's acquisition slice:
      auth_method               real_name_count by the method of the first approval
      card_type                 bind_card_count by the card type of the first successful bind
      member_type               new_member_count (and amount) by the first paid membership's type
      member_payment_method     new_member_count (and amount) by its payment method
      credit_order_status       credit orders (and amount) by status
      member_deduction_mode     member deductions of every status (and amount) by mode
      member_deduction_status   member deductions (and amount) by status -#}
{%- set r = build_range() %}

with

facts as (
    select
        m.user_id,
        m.achieved_at as fact_at,
        'auth_method' as dimension,
        m.auth_method as dimension_value,
        cast(null as decimal(18, 2)) as amount
    from {{ ref('int_user_milestones') }} as m
    where m.milestone = 'real_name' and {{ local_days_between('m.achieved_at', r.start, r.end) }}

    union all

    select
        m.user_id,
        m.achieved_at as fact_at,
        'card_type' as dimension,
        m.card_type as dimension_value,
        null as amount
    from {{ ref('int_user_milestones') }} as m
    where m.milestone = 'bind_card' and {{ local_days_between('m.achieved_at', r.start, r.end) }}

    union all

    select
        m.user_id,
        m.achieved_at as fact_at,
        'member_type' as dimension,
        m.member_type as dimension_value,
        m.amount
    from {{ ref('int_user_milestones') }} as m
    where m.milestone = 'new_member' and {{ local_days_between('m.achieved_at', r.start, r.end) }}

    union all

    select
        m.user_id,
        m.achieved_at as fact_at,
        'member_payment_method' as dimension,
        m.payment_method as dimension_value,
        m.amount
    from {{ ref('int_user_milestones') }} as m
    where m.milestone = 'new_member' and {{ local_days_between('m.achieved_at', r.start, r.end) }}

    union all

    select
        o.user_id,
        o.created_at as fact_at,
        'credit_order_status' as dimension,
        o.status as dimension_value,
        o.amount
    from {{ ref('stg_orders') }} as o
    where o.pay_method = 'credit' and {{ local_days_between('o.created_at', r.start, r.end) }}

    union all

    select
        d.user_id,
        d.deducted_at as fact_at,
        'member_deduction_mode' as dimension,
        d.mode as dimension_value,
        d.amount
    from {{ ref('stg_deductions') }} as d
    where d.service_type = 'member' and {{ local_days_between('d.deducted_at', r.start, r.end) }}

    union all

    select
        d.user_id,
        d.deducted_at as fact_at,
        'member_deduction_status' as dimension,
        d.status as dimension_value,
        d.amount
    from {{ ref('stg_deductions') }} as d
    where d.service_type = 'member' and {{ local_days_between('d.deducted_at', r.start, r.end) }}
),

sliced as (
    {{ with_user_slice('select f.* from facts as f') }}
)

select
    {{ as_string('s.user_id', 50) }} as user_id,
    {{ local_date('s.fact_at') }} as stat_date,
    {{ as_string('s.dimension', 30) }} as dimension,
    {{ as_string("coalesce(s.dimension_value, 'other')", 20) }} as dimension_value,
    {{ as_string('s.channel', 50) }} as channel,
    {{ as_string('s.device_type', 20) }} as device_type,
    cast(s.amount as decimal(18, 2)) as amount
from sliced as s
