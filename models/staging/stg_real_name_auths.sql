with auths as (
    {{ latest_version('real_name_auths', 'auth_id') }}
)

select
    {{ as_string('a.auth_id', 50) }} as auth_id,
    {{ as_string("nullif(trim(a.user_id), '')", 50) }} as user_id,
    {{ as_string(normalise_enum('a.auth_method', ['id_card', 'face', 'bank_card']), 20) }} as auth_method,
    {{ as_string(normalise_enum('a.status', ['pending', 'approved', 'rejected']), 20) }} as status,
    a.submitted_at,
    a.approved_at
from auths as a
