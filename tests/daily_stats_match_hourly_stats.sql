{#- daily_stats vs hourly_stats, days of the build range, every (stat_date, channel,
    device_type): the additive metrics of the day are the sums of its 24 hours; the cumulative
    amounts of the day are the hour-23 values; the day's uv lies between the largest hourly uv
    and the sum of the hourly uv. One failing row per (row, check). -#}
{%- set r = build_range() %}
{%- set additive = [
    'pv', 'real_name_count', 'bind_card_count', 'new_member_count', 'credit_order_count',
    'daily_member_deduction'
] %}

with

days as (
    select
        daily_rows.stat_date,
        daily_rows.channel,
        daily_rows.device_type,
        daily_rows.uv,
        {%- for col in additive %}
        daily_rows.{{ col }},
        {%- endfor %}
        daily_rows.history_member_deduction,
        daily_rows.total_deduction
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

hours as (
    select
        hourly_rows.stat_date,
        hourly_rows.channel,
        hourly_rows.device_type,
        count(*) as n_hours,
        max(hourly_rows.uv) as max_uv,
        sum(hourly_rows.uv) as sum_uv,
        {%- for col in additive %}
        sum(hourly_rows.{{ col }}) as {{ col }},
        {%- endfor %}
        max(case when hourly_rows.stat_hour = 23 then hourly_rows.history_member_deduction end)
            as history_member_deduction,
        max(case when hourly_rows.stat_hour = 23 then hourly_rows.total_deduction end) as total_deduction
    from {{ ref('hourly_stats') }} as hourly_rows
    where hourly_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by hourly_rows.stat_date, hourly_rows.channel, hourly_rows.device_type
)

select
    'hours missing' as failed_check,
    days.stat_date,
    days.channel,
    days.device_type,
    cast(0 as decimal(18, 2)) as daily_value,
    cast(coalesce(hours.n_hours, 0) as decimal(18, 2)) as hourly_value
from days
left join hours
    on days.stat_date = hours.stat_date and days.channel = hours.channel and days.device_type = hours.device_type
where hours.n_hours is null or hours.n_hours <> 24

union all

select
    'uv outside [max, sum] of its hours' as failed_check,
    days.stat_date,
    days.channel,
    days.device_type,
    cast(days.uv as decimal(18, 2)) as daily_value,
    cast(hours.sum_uv as decimal(18, 2)) as hourly_value
from days
inner join hours
    on days.stat_date = hours.stat_date and days.channel = hours.channel and days.device_type = hours.device_type
where days.uv < hours.max_uv or days.uv > hours.sum_uv

{%- for col in additive + ['history_member_deduction', 'total_deduction'] %}

union all

select
    '{{ col }}' as failed_check,
    days.stat_date,
    days.channel,
    days.device_type,
    cast(days.{{ col }} as decimal(18, 2)) as daily_value,
    cast(hours.{{ col }} as decimal(18, 2)) as hourly_value
from days
inner join hours
    on days.stat_date = hours.stat_date and days.channel = hours.channel and days.device_type = hours.device_type
where days.{{ col }} <> hours.{{ col }}
{%- endfor %}
