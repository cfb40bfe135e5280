with member_orders as (
    {{ latest_version('member_orders', 'member_order_id') }}
)

select
    {{ as_string('mo.member_order_id', 50) }} as member_order_id,
    {{ as_string("nullif(trim(mo.user_id), '')", 50) }} as user_id,
    {{ as_string(normalise_enum('mo.member_type', ['monthly', 'quarterly', 'yearly']), 20) }} as member_type,
    {{ as_string(normalise_enum('mo.payment_method', ['wechat', 'alipay', 'bank_card']), 20) }} as payment_method,
    cast(mo.amount as decimal(18, 2)) as amount,
    {{ as_string(normalise_enum('mo.status', ['paid', 'failed', 'cancelled']), 20) }} as status,
    mo.created_at,
    mo.paid_at,
    mo.effective_at,
    coalesce(mo.effective_at, mo.paid_at) as service_start_at
from member_orders as mo
