with binds as (
    {{ latest_version('bank_cards', 'bind_id') }}
)

select
    {{ as_string('b.bind_id', 50) }} as bind_id,
    {{ as_string("nullif(trim(b.user_id), '')", 50) }} as user_id,
    {{ as_string(normalise_enum('b.card_type', ['debit', 'credit']), 20) }} as card_type,
    {{ as_string(normalise_enum('b.bind_status', ['success', 'failed']), 20) }} as bind_status,
    b.bound_at,
    b.unbound_at
from binds as b
