{#- Each user's first-ever funnel milestones over all history, one row per (user, milestone):
      real_name  first approved verification   min(approved_at) where status = 'approved'
      bind_card  first successful card bind    min(bound_at) where bind_status = 'success'
      new_member first paid membership         min(coalesce(effective_at, paid_at)) where status = 'paid'
    with the attributes of that first row (ties broken by the row's id) for the breakdowns. -#}

with

candidates as (
    select
        auths.user_id,
        'real_name' as milestone,
        auths.approved_at as achieved_at,
        auths.auth_id as source_id,
        auths.auth_method,
        {{ as_string('null', 20) }} as card_type,
        {{ as_string('null', 20) }} as member_type,
        {{ as_string('null', 20) }} as payment_method,
        cast(null as decimal(18, 2)) as amount
    from {{ ref('stg_real_name_auths') }} as auths
    where auths.status = 'approved' and auths.approved_at is not null and auths.user_id is not null

    union all

    select
        binds.user_id,
        'bind_card' as milestone,
        binds.bound_at as achieved_at,
        binds.bind_id as source_id,
        null as auth_method,
        binds.card_type,
        null as member_type,
        null as payment_method,
        null as amount
    from {{ ref('stg_bank_cards') }} as binds
    where binds.bind_status = 'success' and binds.bound_at is not null and binds.user_id is not null

    union all

    select
        member_orders.user_id,
        'new_member' as milestone,
        member_orders.service_start_at as achieved_at,
        member_orders.member_order_id as source_id,
        null as auth_method,
        null as card_type,
        member_orders.member_type,
        member_orders.payment_method,
        member_orders.amount
    from {{ ref('stg_member_orders') }} as member_orders
    where
        member_orders.status = 'paid'
        and member_orders.service_start_at is not null
        and member_orders.user_id is not null
),

ranked_candidates as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.user_id, candidates.milestone
            order by candidates.achieved_at, candidates.source_id
        ) as milestone_rank
    from candidates
)

select
    {{ as_string('ranked_candidates.user_id', 50) }} as user_id,
    {{ as_string('ranked_candidates.milestone', 20) }} as milestone,
    ranked_candidates.achieved_at,
    {{ as_string('ranked_candidates.source_id', 50) }} as source_id,
    {{ as_string('ranked_candidates.auth_method', 20) }} as auth_method,
    {{ as_string('ranked_candidates.card_type', 20) }} as card_type,
    {{ as_string('ranked_candidates.member_type', 20) }} as member_type,
    {{ as_string('ranked_candidates.payment_method', 20) }} as payment_method,
    ranked_candidates.amount
from ranked_candidates
where ranked_candidates.milestone_rank = 1
