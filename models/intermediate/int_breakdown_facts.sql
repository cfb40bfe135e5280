{{ config(materialized='ephemeral') }}
{#- Facts behind daily_breakdowns, for the build range, one row per item of a dimension,
    attributed to the user's acquisition slice. Ephemeral: inlined into daily_breakdowns, the
    one model that reads it. -#}
{%- set r = build_range() %}
{#- Each dimension: its population is the rows of `source` (a model) whose `filter_column`
    equals `filter_value`, dated by `time_column`; an item's value is `value_column`, its
    amount `amount_column` (none: no amount).
      dimension                 source               time_column  value_column    amount_column  filter -#}
{%- set dimensions = [
    ('auth_method',             'int_user_milestones', 'achieved_at', 'auth_method',    none,     'milestone', 'real_name'),
    ('card_type',               'int_user_milestones', 'achieved_at', 'card_type',      none,     'milestone', 'bind_card'),
    ('member_type',             'int_user_milestones', 'achieved_at', 'member_type',    'amount', 'milestone', 'new_member'),
    ('member_payment_method',   'int_user_milestones', 'achieved_at', 'payment_method', 'amount', 'milestone', 'new_member'),
    ('credit_order_status',     'stg_orders',          'created_at',  'status',         'amount', 'pay_method', 'credit'),
    ('member_deduction_mode',   'stg_deductions',      'deducted_at', 'mode',           'amount', 'service_type', 'member'),
    ('member_deduction_status', 'stg_deductions',      'deducted_at', 'status',         'amount', 'service_type', 'member'),
] %}

with

range_items as (
    {%- for dimension, source, time_column, value_column, amount_column, filter_column, filter_value in dimensions %}
    select
        {{ source }}.user_id,
        {{ source }}.{{ time_column }} as item_at,
        '{{ dimension }}' as dimension,
        {{ source }}.{{ value_column }} as dimension_value,
        cast({{ source ~ '.' ~ amount_column if amount_column else 'null' }} as decimal(18, 2)) as amount
    from {{ ref(source) }} as {{ source }}
    where
        {{ source }}.{{ filter_column }} = '{{ filter_value }}'
        and {{ local_days_between(source ~ '.' ~ time_column, r.start, r.end) }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
),

sliced_items as (
    {{ with_user_slice('range_items', ref('stg_users')) }}
)

select
    {{ as_string('sliced_items.user_id', 50) }} as user_id,
    {{ local_date('sliced_items.item_at') }} as stat_date,
    {{ as_string('sliced_items.dimension', 30) }} as dimension,
    {{ as_string("coalesce(sliced_items.dimension_value, 'other')", 20) }} as dimension_value,
    {{ as_string('sliced_items.channel', 50) }} as channel,
    {{ as_string('sliced_items.device_type', 20) }} as device_type,
    sliced_items.amount
from sliced_items
