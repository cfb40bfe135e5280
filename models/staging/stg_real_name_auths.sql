{{
    config(
        post_hook=["{{ ensure_indexes(['auth_id', 'user_id']) }}"]
    )
}}
{#- Enum lists: seeds breakdown_values (auth_method) and enum_values (status). -#}
with

auths as (
    {{ latest_version('real_name_auths', 'auth_id') }}
)

select
    {{ as_string('auths.auth_id', 50) }} as auth_id,
    {{ as_string("nullif(trim(auths.user_id), '')", 50) }} as user_id,
    {{ as_string("coalesce(auth_methods.dimension_value, 'other')", 20) }} as auth_method,
    {{ as_string("coalesce(auth_statuses.dimension_value, 'other')", 20) }} as status,
    auths.submitted_at,
    auths.approved_at
from auths
{{ join_enum_values('auths.auth_method', ref('breakdown_values'), 'auth_method', 'auth_methods') }}
{{ join_enum_values('auths.status', ref('enum_values'), 'real_name_auths.status', 'auth_statuses') }}
