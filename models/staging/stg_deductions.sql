{{
    config(
        post_hook=["{{ ensure_indexes(['deduction_id', 'user_id']) }}"]
    )
}}
{#- Enum lists: seeds enum_values (service_type) and breakdown_values (mode and status, the
    dimensions member_deduction_mode and member_deduction_status). -#}
with

deductions as (
    {{ latest_version('deductions', 'deduction_id') }}
)

select
    {{ as_string('deductions.deduction_id', 50) }} as deduction_id,
    {{ as_string("nullif(trim(deductions.user_id), '')", 50) }} as user_id,
    {{ as_string("coalesce(service_types.dimension_value, 'other')", 20) }} as service_type,
    {{ bounded_amount('deductions.amount') }} as amount,
    {{ as_string("coalesce(deduction_modes.dimension_value, 'other')", 20) }} as mode,
    {{ as_string("coalesce(deduction_statuses.dimension_value, 'other')", 20) }} as status,
    deductions.deducted_at
from deductions
{{ join_enum_values('deductions.service_type', ref('enum_values'), 'deductions.service_type', 'service_types') }}
{{ join_enum_values('deductions.mode', ref('breakdown_values'), 'member_deduction_mode', 'deduction_modes') }}
{{ join_enum_values(
    'deductions.status', ref('breakdown_values'), 'member_deduction_status', 'deduction_statuses'
) }}
