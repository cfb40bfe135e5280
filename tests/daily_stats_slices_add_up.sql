{#- daily_stats, days of the build range: every additive metric of an `all` row equals the sum
    of its slices — for each (stat_date, channel) the device rows add up to the `all` device
    row, and for each (stat_date, device_type) the channel rows add up to the `all` channel row.
    uv and avg_visit_duration are not additive and are checked in daily_stats_uv_bounds.
    One failing row per (row, metric). -#}
{%- set r = build_range() %}
{%- set metrics = [
    'pv', 'real_name_count', 'bind_card_count', 'new_member_count', 'credit_order_count',
    'daily_member_deduction', 'history_member_deduction', 'total_deduction'
] %}

with

built as (
    select ds.*
    from {{ ref('daily_stats') }} as ds
    where ds.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

device_parts as (
    select
        b.stat_date,
        b.channel,
        {%- for m in metrics %}
        sum(b.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from built as b
    where b.device_type <> 'all'
    group by b.stat_date, b.channel
),

channel_parts as (
    select
        b.stat_date,
        b.device_type,
        {%- for m in metrics %}
        sum(b.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from built as b
    where b.channel <> 'all'
    group by b.stat_date, b.device_type
)

{% for m in metrics %}
select
    'devices' as summed_over,
    tot.stat_date,
    tot.channel,
    tot.device_type,
    '{{ m }}' as metric,
    cast(tot.{{ m }} as decimal(18, 2)) as all_value,
    cast(coalesce(dp.{{ m }}, 0) as decimal(18, 2)) as sum_of_parts
from built as tot
left join device_parts as dp on tot.stat_date = dp.stat_date and tot.channel = dp.channel
where tot.device_type = 'all' and tot.{{ m }} <> coalesce(dp.{{ m }}, 0)

union all

select
    'channels' as summed_over,
    tot.stat_date,
    tot.channel,
    tot.device_type,
    '{{ m }}' as metric,
    cast(tot.{{ m }} as decimal(18, 2)) as all_value,
    cast(coalesce(cp.{{ m }}, 0) as decimal(18, 2)) as sum_of_parts
from built as tot
left join channel_parts as cp on tot.stat_date = cp.stat_date and tot.device_type = cp.device_type
where tot.channel = 'all' and tot.{{ m }} <> coalesce(cp.{{ m }}, 0)
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
