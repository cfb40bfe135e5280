{#- Refunds with the user and the service type of the deduction they refund (the raw refunds
    carry neither): the source `refunds` of the metric registry, so a refund metric counts in
    the slice of the refunded deduction's user. A refund whose deduction is unknown keeps a
    NULL user (slice other/other). -#}

with

refunds as (
    select
        stg_refunds.refund_id,
        stg_refunds.deduction_id,
        stg_refunds.amount,
        stg_refunds.status,
        stg_refunds.refunded_at
    from {{ ref('stg_refunds') }} as stg_refunds
),

deductions as (
    select
        stg_deductions.deduction_id,
        stg_deductions.user_id,
        stg_deductions.service_type
    from {{ ref('stg_deductions') }} as stg_deductions
)

select
    refunds.refund_id,
    refunds.deduction_id,
    deductions.user_id,
    deductions.service_type,
    refunds.amount,
    refunds.status,
    refunds.refunded_at
from refunds
left join deductions on refunds.deduction_id = deductions.deduction_id
