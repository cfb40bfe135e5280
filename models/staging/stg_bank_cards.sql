{{
    config(
        post_hook=["{{ ensure_indexes(['bind_id', 'user_id']) }}"]
    )
}}
{#- Enum lists: seeds breakdown_values (card_type) and enum_values (bind_status). -#}
with

binds as (
    {{ latest_version('bank_cards', 'bind_id') }}
)

select
    {{ as_string('binds.bind_id', 50) }} as bind_id,
    {{ as_string("nullif(trim(binds.user_id), '')", 50) }} as user_id,
    {{ as_string("coalesce(card_types.dimension_value, 'other')", 20) }} as card_type,
    {{ as_string("coalesce(bind_statuses.dimension_value, 'other')", 20) }} as bind_status,
    binds.bound_at,
    binds.unbound_at
from binds
{{ join_enum_values('binds.card_type', ref('breakdown_values'), 'card_type', 'card_types') }}
{{ join_enum_values('binds.bind_status', ref('enum_values'), 'bank_cards.bind_status', 'bind_statuses') }}
