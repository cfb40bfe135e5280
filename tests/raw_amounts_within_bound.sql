{#- Raw amounts above the var amount_max, which staging sets aside (macros/staging/bounded_amount.sql):
    only a row inserted by hand can hold one (bizstats load and the collector refuse them).
    The business tables whole, event_logs in the build range. Severity warn: the build goes on
    without the row; its key tells which to correct. -#}
{{ config(severity='warn') }}
{%- set r = build_range() %}
{%- set keyed = [('orders', 'order_id'), ('member_orders', 'member_order_id'),
                 ('deductions', 'deduction_id'), ('refunds', 'refund_id')] %}

{% for table, key in keyed %}
select
    '{{ table }}' as source_table,
    {{ key }} as row_key,
    amount
from {{ source('raw', table) }}
where amount > {{ var('amount_max') }}
union all
{% endfor %}
select
    'event_logs' as source_table,
    event_id as row_key,
    amount
from {{ source('raw', 'event_logs') }}
where amount > {{ var('amount_max') }} and {{ local_days_between('event_time', r.start, r.end) }}
