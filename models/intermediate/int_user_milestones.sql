{#- Each user's first-ever funnel milestones over all history, one row per (user, milestone):
      real_name  first approved verification   min(approved_at) where status = 'approved'
      bind_card  first successful card bind    min(bound_at) where bind_status = 'success'
      new_member first paid membership         min(coalesce(effective_at, paid_at)) where status = 'paid'
    with the attributes of that first row (ties broken by the row's id) for the breakdowns. -#}

with

candidates as (
    select
        a.user_id,
        'real_name' as milestone,
        a.approved_at as achieved_at,
        a.auth_id as source_id,
        a.auth_method,
        {{ as_string('null', 20) }} as card_type,
        {{ as_string('null', 20) }} as member_type,
        {{ as_string('null', 20) }} as payment_method,
        cast(null as decimal(18, 2)) as amount
    from {{ ref('stg_real_name_auths') }} as a
    where a.status = 'approved' and a.approved_at is not null and a.user_id is not null

    union all

    select
        b.user_id,
        'bind_card' as milestone,
        b.bound_at as achieved_at,
        b.bind_id as source_id,
        null as auth_method,
        b.card_type,
        null as member_type,
        null as payment_method,
        null as amount
    from {{ ref('stg_bank_cards') }} as b
    where b.bind_status = 'success' and b.bound_at is not null and b.user_id is not null

    union all

    select
        mo.user_id,
        'new_member' as milestone,
        mo.service_start_at as achieved_at,
        mo.member_order_id as source_id,
        null as auth_method,
        null as card_type,
        mo.member_type,
        mo.payment_method,
        mo.amount
    from {{ ref('stg_member_orders') }} as mo
    where mo.status = 'paid' and mo.service_start_at is not null and mo.user_id is not null
),

ranked as (
    select
        c.*,
        row_number() over (
            partition by c.user_id, c.milestone
            order by c.achieved_at, c.source_id
        ) as milestone_rank
    from candidates as c
)

select
    {{ as_string('rk.user_id', 50) }} as user_id,
    {{ as_string('rk.milestone', 20) }} as milestone,
    rk.achieved_at,
    {{ as_string('rk.source_id', 50) }} as source_id,
    {{ as_string('rk.auth_method', 20) }} as auth_method,
    {{ as_string('rk.card_type', 20) }} as card_type,
    {{ as_string('rk.member_type', 20) }} as member_type,
    {{ as_string('rk.payment_method', 20) }} as payment_method,
    rk.amount
from ranked as rk
where rk.milestone_rank = 1
