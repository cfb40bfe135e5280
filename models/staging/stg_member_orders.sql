{{
    config(
        post_hook=["{{ ensure_indexes(['member_order_id', 'user_id']) }}"]
    )
}}
{#- Enum lists: seeds breakdown_values (member_type, member_payment_method) and enum_values
    (status). -#}
with

member_orders as (
    {{ latest_version('member_orders', 'member_order_id') }}
)

select
    {{ as_string('member_orders.member_order_id', 50) }} as member_order_id,
    {{ as_string("nullif(trim(member_orders.user_id), '')", 50) }} as user_id,
    {{ as_string("coalesce(member_types.dimension_value, 'other')", 20) }} as member_type,
    {{ as_string("coalesce(payment_methods.dimension_value, 'other')", 20) }} as payment_method,
    {{ bounded_amount('member_orders.amount') }} as amount,
    {{ as_string("coalesce(order_statuses.dimension_value, 'other')", 20) }} as status,
    member_orders.created_at,
    member_orders.paid_at,
    member_orders.effective_at,
    coalesce(member_orders.effective_at, member_orders.paid_at) as service_start_at
from member_orders
{{ join_enum_values('member_orders.member_type', ref('breakdown_values'), 'member_type', 'member_types') }}
{{ join_enum_values(
    'member_orders.payment_method', ref('breakdown_values'), 'member_payment_method', 'payment_methods'
) }}
{{ join_enum_values('member_orders.status', ref('enum_values'), 'member_orders.status', 'order_statuses') }}
