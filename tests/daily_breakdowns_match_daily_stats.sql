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
{#- Sums of daily_breakdowns per (stat_date, channel, device_type):
      name -> (dimension, dimension_value or none for all values, summed column) -#}
{%- set sums = {
    'auth_method_count': ('auth_method', none, 'item_count'),
    'card_type_count': ('card_type', none, 'item_count'),
    'member_type_count': ('member_type', none, 'item_count'),
    'member_payment_method_count': ('member_payment_method', none, 'item_count'),
    'credit_order_status_count': ('credit_order_status', none, 'item_count'),
    'deduction_success_amount': ('member_deduction_status', 'success', 'amount'),
    'deduction_mode_count': ('member_deduction_mode', none, 'item_count'),
    'deduction_status_count': ('member_deduction_status', none, 'item_count'),
    'deduction_mode_amount': ('member_deduction_mode', none, 'amount'),
    'deduction_status_amount': ('member_deduction_status', none, 'amount'),
    'member_type_amount': ('member_type', none, 'amount'),
    'member_payment_method_amount': ('member_payment_method', none, 'amount'),
} %}
{#- Each breakdown against its daily_stats metric: (breakdown sum, daily_stats column) -#}
{%- set against_metric = [
    ('auth_method_count', 'real_name_count'),
    ('card_type_count', 'bind_card_count'),
    ('member_type_count', 'new_member_count'),
    ('member_payment_method_count', 'new_member_count'),
    ('credit_order_status_count', 'credit_order_count'),
    ('deduction_success_amount', 'daily_member_deduction'),
] %}
{#- Two breakdowns of the same population: (check name, breakdown sum, breakdown sum) -#}
{%- set against_each_other = [
    ('member deductions: by mode vs by status (count)', 'deduction_mode_count', 'deduction_status_count'),
    ('member deductions: by mode vs by status (amount)', 'deduction_mode_amount', 'deduction_status_amount'),
    ('first memberships: by type vs by payment method (amount)', 'member_type_amount',
        'member_payment_method_amount'),
] %}

with

breakdown_sums as (
    select
        breakdown_rows.stat_date,
        breakdown_rows.channel,
        breakdown_rows.device_type,
        {%- for name, spec in sums.items() %}
        {%- set dimension, value, column = spec %}
        sum(
            case
                when
                    breakdown_rows.dimension = '{{ dimension }}'
                    {%- if value %} and breakdown_rows.dimension_value = '{{ value }}'{% endif %}
                    then breakdown_rows.{{ column }}
                else 0
            end
        ) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('daily_breakdowns') }} as breakdown_rows
    where breakdown_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by breakdown_rows.stat_date, breakdown_rows.channel, breakdown_rows.device_type
),

days as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
)

select
    'no breakdown rows' as failed_check,
    days.stat_date,
    days.channel,
    days.device_type,
    cast(null as decimal(18, 2)) as breakdown_value,
    cast(null as decimal(18, 2)) as daily_stats_value
from days
left join breakdown_sums
    on
        days.stat_date = breakdown_sums.stat_date
        and days.channel = breakdown_sums.channel
        and days.device_type = breakdown_sums.device_type
where breakdown_sums.stat_date is null

{%- for breakdown_sum, metric in against_metric %}

union all

select
    '{{ breakdown_sum }} vs {{ metric }}' as failed_check,
    days.stat_date,
    days.channel,
    days.device_type,
    cast(breakdown_sums.{{ breakdown_sum }} as decimal(18, 2)) as breakdown_value,
    cast(days.{{ metric }} as decimal(18, 2)) as daily_stats_value
from days
inner join breakdown_sums
    on
        days.stat_date = breakdown_sums.stat_date
        and days.channel = breakdown_sums.channel
        and days.device_type = breakdown_sums.device_type
where breakdown_sums.{{ breakdown_sum }} <> days.{{ metric }}
{%- endfor %}

{%- for name, left_sum, right_sum in against_each_other %}

union all

select
    '{{ name }}' as failed_check,
    breakdown_sums.stat_date,
    breakdown_sums.channel,
    breakdown_sums.device_type,
    cast(breakdown_sums.{{ left_sum }} as decimal(18, 2)) as breakdown_value,
    cast(breakdown_sums.{{ right_sum }} as decimal(18, 2)) as daily_stats_value
from breakdown_sums
where breakdown_sums.{{ left_sum }} <> breakdown_sums.{{ right_sum }}
{%- endfor %}
