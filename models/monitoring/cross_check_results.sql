{{
    config(
        unique_key=['stat_date', 'channel', 'device_type', 'metric'],
        post_hook=["{{ ensure_indexes([['stat_date', 'passed']],
            unique=[['stat_date', 'channel', 'device_type', 'metric']],
            int_columns=['passed']) }}"]
    )
}}
{#- Cross-checks (design doc §8.2.2): daily_stats against the sum of its hours in
    hourly_stats, one row per (stat_date, channel, device_type, metric) of the monitoring
    range. Additive metrics: the day equals the sum of its hours. uv cannot be summed: the
    day's uv lies between the largest hourly uv and the sum of the hourly uv. Cumulative
    amounts: the day's value equals hour 23's (the value at the end of the day). A slice with
    no hourly rows fails. The real-time counters' check (offline vs real-time within 5%) is a
    hook in bizstats.checks until the counters exist. -#}
{%- set r = monitoring_range() %}
{%- set rules = [
    ('pv', 'sum'), ('uv', 'distinct'), ('real_name_count', 'sum'), ('bind_card_count', 'sum'),
    ('new_member_count', 'sum'), ('credit_order_count', 'sum'), ('daily_member_deduction', 'sum'),
    ('history_member_deduction', 'end_of_day'), ('total_deduction', 'end_of_day')
] %}
{#- each rule's least and largest accepted value, from the day's hours -#}
{%- set bounds = {
    'sum': ('sum(hourly.{0})', 'sum(hourly.{0})'),
    'distinct': ('max(hourly.{0})', 'sum(hourly.{0})'),
    'end_of_day': ('max(case when hourly.stat_hour = 23 then hourly.{0} end)',
                   'max(case when hourly.stat_hour = 23 then hourly.{0} end)'),
} %}
{%- set hour_bounds = [] %}
{%- for metric, rule in rules %}
{%- do hour_bounds.append(bounds[rule][0].format(metric) ~ ' as ' ~ metric ~ '_low') %}
{%- do hour_bounds.append(bounds[rule][1].format(metric) ~ ' as ' ~ metric ~ '_high') %}
{%- endfor %}

with

hours as (
    select
        hourly.stat_date,
        hourly.channel,
        hourly.device_type,
        {{ hour_bounds | join(',\n        ') }}
    from {{ ref('hourly_stats') }} as hourly
    where hourly.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by hourly.stat_date, hourly.channel, hourly.device_type
),

compared as (
    {%- for metric, rule in rules %}
    select
        daily.stat_date,
        daily.channel,
        daily.device_type,
        {{ as_string("'" ~ metric ~ "'", 50) }} as metric,
        {{ as_string("'" ~ rule ~ "'", 20) }} as rule_name,
        cast(daily.{{ metric }} as decimal(18, 2)) as daily_value,
        cast(hours.{{ metric }}_low as decimal(18, 2)) as hourly_low,
        cast(hours.{{ metric }}_high as decimal(18, 2)) as hourly_high
    from {{ ref('daily_stats') }} as daily
    left join hours
        on
            daily.stat_date = hours.stat_date
            and daily.channel = hours.channel
            and daily.device_type = hours.device_type
    where daily.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    compared.stat_date,
    {{ as_string('compared.channel', 50) }} as channel,
    {{ as_string('compared.device_type', 20) }} as device_type,
    compared.metric,
    compared.rule_name,
    compared.daily_value,
    compared.hourly_low,
    compared.hourly_high,
    {{ as_int(
        "case when compared.daily_value between compared.hourly_low and compared.hourly_high then 1 else 0 end"
    ) }} as passed,
    {{ datetime_value(check_time()) }} as checked_at
from compared
