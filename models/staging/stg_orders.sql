with orders as (
    {{ latest_version('orders', 'order_id') }}
)

select
    {{ as_string('o.order_id', 50) }} as order_id,
    {{ as_string("nullif(trim(o.user_id), '')", 50) }} as user_id,
    {{ as_string(normalise_enum('o.pay_method', ['credit', 'wechat', 'alipay', 'bank_card']), 20) }} as pay_method,
    {{ as_string(normalise_enum('o.status', ['success', 'failed', 'cancelled']), 20) }} as status,
    cast(o.amount as decimal(18, 2)) as amount,
    o.created_at
from orders as o
