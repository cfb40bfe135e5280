{#- daily_stats vs hourly_stats, days of the build range, every (stat_date, channel,
    device_type): the additive metrics of the day are the sums of its 24 hours (the day's
    daily_member_deduction is the sum of the hours' member_deduction); the cumulative amounts
    of the day are the hour-23 values; the day's uv lies between the largest hourly uv and the
    sum of the hourly uv. One failing row per (row, check). -#}
{%- set r = build_range() %}
{%- set additive = {
    'pv': 'pv',
    'real_name_count': 'real_name_count',
    'bind_card_count': 'bind_card_count',
    'new_member_count': 'new_member_count',
    'credit_order_count': 'credit_order_count',
    'daily_member_deduction': 'member_deduction',
} %}

with

days as (
    select
        ds.stat_date,
        ds.channel,
        ds.device_type,
        ds.uv,
        {%- for daily_col in additive %}
        ds.{{ daily_col }},
        {%- endfor %}
        ds.history_member_deduction,
        ds.total_deduction
    from {{ ref('daily_stats') }} as ds
    where ds.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

hours as (
    select
        hs.stat_date,
        hs.channel,
        hs.device_type,
        count(*) as n_hours,
        max(hs.uv) as max_uv,
        sum(hs.uv) as sum_uv,
        {%- for daily_col, hourly_col in additive.items() %}
        sum(hs.{{ hourly_col }}) as {{ daily_col }},
        {%- endfor %}
        max(case when hs.stat_hour = 23 then hs.history_member_deduction end) as history_member_deduction,
        max(case when hs.stat_hour = 23 then hs.total_deduction end) as total_deduction
    from {{ ref('hourly_stats') }} as hs
    where hs.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by hs.stat_date, hs.channel, hs.device_type
)

select
    'hours missing' as failed_check,
    d.stat_date,
    d.channel,
    d.device_type,
    cast(0 as decimal(18, 2)) as daily_value,
    cast(coalesce(h.n_hours, 0) as decimal(18, 2)) as hourly_value
from days as d
left join hours as h
    on d.stat_date = h.stat_date and d.channel = h.channel and d.device_type = h.device_type
where h.n_hours is null or h.n_hours <> 24

union all

select
    'uv outside [max, sum] of its hours' as failed_check,
    d.stat_date,
    d.channel,
    d.device_type,
    cast(d.uv as decimal(18, 2)) as daily_value,
    cast(h.sum_uv as decimal(18, 2)) as hourly_value
from days as d
inner join hours as h
    on d.stat_date = h.stat_date and d.channel = h.channel and d.device_type = h.device_type
where d.uv < h.max_uv or d.uv > h.sum_uv

{%- for daily_col in additive.keys() | list + ['history_member_deduction', 'total_deduction'] %}

union all

select
    '{{ daily_col }}' as failed_check,
    d.stat_date,
    d.channel,
    d.device_type,
    cast(d.{{ daily_col }} as decimal(18, 2)) as daily_value,
    cast(h.{{ daily_col }} as decimal(18, 2)) as hourly_value
from days as d
inner join hours as h
    on d.stat_date = h.stat_date and d.channel = h.channel and d.device_type = h.device_type
where d.{{ daily_col }} <> h.{{ daily_col }}
{%- endfor %}
