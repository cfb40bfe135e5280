{#- Signed movements of the deductions, over all history, one row per movement: a successful
    deduction counts +amount at deducted_at; a successful refund of a successful deduction counts
    -amount at refunded_at, under the refunded deduction's user and service type. The source
    `deduction_movements` of the cumulative metrics (history_member_deduction, total_deduction:
    running totals net of refunds). -#}

with

deductions as (
    select
        stg_deductions.deduction_id,
        stg_deductions.user_id,
        stg_deductions.service_type,
        stg_deductions.deducted_at,
        stg_deductions.amount
    from {{ ref('stg_deductions') }} as stg_deductions
    where stg_deductions.status = 'success'
),

refunds as (
    select
        stg_refunds.refund_id,
        stg_refunds.deduction_id,
        stg_refunds.refunded_at,
        stg_refunds.amount
    from {{ ref('stg_refunds') }} as stg_refunds
    where stg_refunds.status = 'success'
),

movements as (
    select
        concat('d:', deductions.deduction_id) as movement_id,
        deductions.user_id,
        deductions.deducted_at as movement_at,
        deductions.service_type,
        deductions.amount as signed_amount
    from deductions

    union all

    select
        concat('r:', refunds.refund_id) as movement_id,
        deductions.user_id,
        refunds.refunded_at as movement_at,
        deductions.service_type,
        -refunds.amount as signed_amount
    from refunds
    inner join deductions on refunds.deduction_id = deductions.deduction_id
)

select
    {{ as_string('movements.movement_id', 64) }} as movement_id,
    {{ as_string('movements.user_id', 50) }} as user_id,
    movements.movement_at,
    {{ as_string('movements.service_type', 20) }} as service_type,
    cast(movements.signed_amount as decimal(18, 2)) as signed_amount
from movements
where movements.movement_at is not null
