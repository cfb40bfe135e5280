with deductions as (
    {{ latest_version('deductions', 'deduction_id') }}
)

select
    {{ as_string('d.deduction_id', 50) }} as deduction_id,
    {{ as_string("nullif(trim(d.user_id), '')", 50) }} as user_id,
    {{ as_string(normalise_enum('d.service_type', ['member', 'goods', 'other']), 20) }} as service_type,
    cast(d.amount as decimal(18, 2)) as amount,
    {{ as_string(normalise_enum('d.mode', ['auto', 'manual']), 20) }} as mode,
    {{ as_string(normalise_enum('d.status', ['success', 'failed', 'retrying']), 20) }} as status,
    d.deducted_at
from deductions as d
