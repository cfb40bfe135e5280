{{
    config(
        post_hook=["{{ ensure_indexes(['refund_id', 'deduction_id']) }}"]
    )
}}
{#- Enum list: seed enum_values (status). -#}
with

refunds as (
    {{ latest_version('refunds', 'refund_id') }}
)

select
    {{ as_string('refunds.refund_id', 50) }} as refund_id,
    {{ as_string("nullif(trim(refunds.deduction_id), '')", 50) }} as deduction_id,
    {{ bounded_amount('refunds.amount') }} as amount,
    {{ as_string("coalesce(refund_statuses.dimension_value, 'other')", 20) }} as status,
    refunds.refunded_at
from refunds
{{ join_enum_values('refunds.status', ref('enum_values'), 'refunds.status', 'refund_statuses') }}
