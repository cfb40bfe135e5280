{#- daily_breakdowns vs daily_stats, days of the build range, every (stat_date, channel,
    device_type): each breakdown adds up to its metric —
      auth_method -> real_name_count, card_type -> bind_card_count,
      member_type and member_payment_method -> new_member_count,
      credit_order_status -> credit_order_count,
      amount of member_deduction_status = 'success' -> daily_member_deduction —
    and the two views of member deductions (by mode, by status) cover the same deductions.
    A value missing from the seed breakdown_values would be dropped from the dense grid and
    show up here. One failing row per (row, check). -#}
{#- Severity error: holds for any input (every item has exactly one normalised value,
    `other` included, and the same date and slice as its metric). -#}
{%- set r = build_range() %}
{#- check name -> (expression over daily_breakdowns rows `bd`, daily_stats column or none) -#}
{%- set checks = [
    ('auth_method', "case when bd.dimension = 'auth_method' then bd.item_count else 0 end", 'real_name_count'),
    ('card_type', "case when bd.dimension = 'card_type' then bd.item_count else 0 end", 'bind_card_count'),
    ('member_type', "case when bd.dimension = 'member_type' then bd.item_count else 0 end", 'new_member_count'),
    ('member_payment_method',
        "case when bd.dimension = 'member_payment_method' then bd.item_count else 0 end", 'new_member_count'),
    ('credit_order_status',
        "case when bd.dimension = 'credit_order_status' then bd.item_count else 0 end", 'credit_order_count'),
    ('member_deduction_status success amount',
        "case when bd.dimension = 'member_deduction_status' and bd.dimension_value = 'success'"
        ~ " then bd.amount else 0 end", 'daily_member_deduction'),
] %}

with

breakdown_sums as (
    select
        bd.stat_date,
        bd.channel,
        bd.device_type,
        {%- for name, expr, metric in checks %}
        sum({{ expr }}) as check_{{ loop.index }},
        {%- endfor %}
        sum(case when bd.dimension = 'member_deduction_mode' then bd.item_count else 0 end) as mode_count,
        sum(case when bd.dimension = 'member_deduction_status' then bd.item_count else 0 end) as status_count,
        sum(case when bd.dimension = 'member_deduction_mode' then bd.amount else 0 end) as mode_amount,
        sum(case when bd.dimension = 'member_deduction_status' then bd.amount else 0 end) as status_amount,
        sum(case when bd.dimension = 'member_type' then bd.amount else 0 end) as member_type_amount,
        sum(case when bd.dimension = 'member_payment_method' then bd.amount else 0 end) as payment_method_amount
    from {{ ref('daily_breakdowns') }} as bd
    where bd.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by bd.stat_date, bd.channel, bd.device_type
),

days as (
    select ds.*
    from {{ ref('daily_stats') }} as ds
    where ds.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

select
    'no breakdown rows' as failed_check,
    d.stat_date,
    d.channel,
    d.device_type,
    cast(null as decimal(18, 2)) as breakdown_value,
    cast(null as decimal(18, 2)) as daily_stats_value
from days as d
left join breakdown_sums as s
    on d.stat_date = s.stat_date and d.channel = s.channel and d.device_type = s.device_type
where s.stat_date is null

{%- for name, expr, metric in checks %}

union all

select
    '{{ name }} vs {{ metric }}' as failed_check,
    d.stat_date,
    d.channel,
    d.device_type,
    cast(s.check_{{ loop.index }} as decimal(18, 2)) as breakdown_value,
    cast(d.{{ metric }} as decimal(18, 2)) as daily_stats_value
from days as d
inner join breakdown_sums as s
    on d.stat_date = s.stat_date and d.channel = s.channel and d.device_type = s.device_type
where s.check_{{ loop.index }} <> d.{{ metric }}
{%- endfor %}

{%- for name, left_col, right_col in [
    ('member deductions: by mode vs by status (count)', 'mode_count', 'status_count'),
    ('member deductions: by mode vs by status (amount)', 'mode_amount', 'status_amount'),
    ('first memberships: by type vs by payment method (amount)', 'member_type_amount', 'payment_method_amount'),
] %}

union all

select
    '{{ name }}' as failed_check,
    s.stat_date,
    s.channel,
    s.device_type,
    cast(s.{{ left_col }} as decimal(18, 2)) as breakdown_value,
    cast(s.{{ right_col }} as decimal(18, 2)) as daily_stats_value
from breakdown_sums as s
where s.{{ left_col }} <> s.{{ right_col }}
{%- endfor %}
