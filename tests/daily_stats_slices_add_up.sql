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
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

device_parts as (
    select
        built.stat_date,
        built.channel,
        {%- for m in metrics %}
        sum(built.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from built
    where built.device_type <> 'all'
    group by built.stat_date, built.channel
),

channel_parts as (
    select
        built.stat_date,
        built.device_type,
        {%- for m in metrics %}
        sum(built.{{ m }}) as {{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from built
    where built.channel <> 'all'
    group by built.stat_date, built.device_type
)

{% for m in metrics %}
select
    'devices' as summed_over,
    all_rows.stat_date,
    all_rows.channel,
    all_rows.device_type,
    '{{ m }}' as metric,
    cast(all_rows.{{ m }} as decimal(18, 2)) as all_value,
    cast(coalesce(device_parts.{{ m }}, 0) as decimal(18, 2)) as sum_of_parts
from built as all_rows
left join device_parts
    on all_rows.stat_date = device_parts.stat_date and all_rows.channel = device_parts.channel
where all_rows.device_type = 'all' and all_rows.{{ m }} <> coalesce(device_parts.{{ m }}, 0)

union all

select
    'channels' as summed_over,
    all_rows.stat_date,
    all_rows.channel,
    all_rows.device_type,
    '{{ m }}' as metric,
    cast(all_rows.{{ m }} as decimal(18, 2)) as all_value,
    cast(coalesce(channel_parts.{{ m }}, 0) as decimal(18, 2)) as sum_of_parts
from built as all_rows
left join channel_parts
    on all_rows.stat_date = channel_parts.stat_date and all_rows.device_type = channel_parts.device_type
where all_rows.channel = 'all' and all_rows.{{ m }} <> coalesce(channel_parts.{{ m }}, 0)
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
