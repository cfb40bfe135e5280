{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes(['stat_date', 'channel'],
            unique=[['stat_date', 'channel', 'device_type']],
            int_columns=['pv', 'uv', 'avg_visit_duration', 'real_name_count', 'bind_card_count',
                'new_member_count', 'credit_order_count']) }}"]
    )
}}
{#- 日统计表 daily_stats (seed §5.2.1): one row per local day x channel x device_type, a
    dense grid of 30 slices a day, zeros where nothing happened. Incremental over the build
    range; re-running gives identical rows (created_at/updated_at are kept unless a number
    changes). The metrics: macros/grain_metrics.sql. -#}
{%- set r = build_range() %}
{%- set key_columns = ['stat_date', 'channel', 'device_type'] %}
{%- set value_columns = [
    'pv', 'uv', 'avg_visit_duration', 'real_name_count', 'bind_card_count', 'new_member_count',
    'credit_order_count', 'daily_member_deduction', 'history_member_deduction', 'total_deduction'
] %}

with

grid as (
    select
        calendar.stat_date,
        slices.channel,
        slices.device_type
    from {{ ref('int_calendar') }} as calendar
    cross join {{ ref('int_slices') }} as slices
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

range_page_views as (
    select
        page_views.stat_date,
        page_views.channel,
        page_views.device_type,
        page_views.visitor_key,
        page_views.counted_duration_seconds
    from {{ ref('int_page_views') }} as page_views
    where page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

range_business_facts as (
    select
        business_facts.stat_date,
        business_facts.channel,
        business_facts.device_type,
        business_facts.fact,
        business_facts.amount
    from {{ ref('int_business_facts_in_window') }} as business_facts
    where business_facts.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

day_metrics as (
    {{ grain_metrics('grid', ['stat_date'], 'range_page_views', 'range_business_facts') }}
),

numbers as (
    select
        day_metrics.*,
        cumulative.history_member_deduction,
        cumulative.total_deduction
    from day_metrics
    left join {{ ref('deduction_cumulative_daily') }} as cumulative
        on
            day_metrics.stat_date = cumulative.stat_date
            and day_metrics.channel = cumulative.channel
            and day_metrics.device_type = cumulative.device_type
)

select
    numbers.stat_date,
    numbers.pv,
    numbers.uv,
    numbers.avg_visit_duration,
    numbers.real_name_count,
    numbers.bind_card_count,
    numbers.new_member_count,
    numbers.credit_order_count,
    numbers.daily_member_deduction,
    cast(numbers.history_member_deduction as decimal(18, 2)) as history_member_deduction,
    cast(numbers.total_deduction as decimal(18, 2)) as total_deduction,
    {{ as_string('numbers.channel', 50) }} as channel,
    {{ as_string('numbers.device_type', 20) }} as device_type,
    {{ keep_timestamps('numbers', 'stored_rows', value_columns, key_columns) }}
from numbers
{{ previous_rows_join('numbers', 'stored_rows', key_columns) }}
