with refunds as (
    {{ latest_version('refunds', 'refund_id') }}
)

select
    {{ as_string('r.refund_id', 50) }} as refund_id,
    {{ as_string("nullif(trim(r.deduction_id), '')", 50) }} as deduction_id,
    cast(r.amount as decimal(18, 2)) as amount,
    {{ as_string(normalise_enum('r.status', ['success', 'failed']), 20) }} as status,
    r.refunded_at
from refunds as r
