{{
    config(
        post_hook=["{{ ensure_indexes(['order_id', 'user_id']) }}"]
    )
}}
{#- Enum lists: seeds enum_values (pay_method) and breakdown_values (status, the dimension
    credit_order_status). -#}
with

orders as (
    {{ latest_version('orders', 'order_id') }}
)

select
    {{ as_string('orders.order_id', 50) }} as order_id,
    {{ as_string("nullif(trim(orders.user_id), '')", 50) }} as user_id,
    {{ as_string("coalesce(pay_methods.dimension_value, 'other')", 20) }} as pay_method,
    {{ as_string("coalesce(order_statuses.dimension_value, 'other')", 20) }} as status,
    {{ bounded_amount('orders.amount') }} as amount,
    orders.created_at
from orders
{{ join_enum_values('orders.pay_method', ref('enum_values'), 'orders.pay_method', 'pay_methods') }}
{{ join_enum_values('orders.status', ref('breakdown_values'), 'credit_order_status', 'order_statuses') }}
