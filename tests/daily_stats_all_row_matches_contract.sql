{#- daily_stats, days of the build range: the all / all row recomputed straight from staging
    with the plain wording of the metric contract (docs/metrics.md), independently of the
    intermediate models — pv, uv, the three first-ever counts (min over all history of the
    qualifying rows), credit_order_count, daily_member_deduction and the two cumulative net
    amounts. (avg_visit_duration is left to the unit tests: its duration and percentile rules
    do not have a short independent form.) One failing row per (day, metric).
    Severity error: the contract itself, for any input. -#}
{%- set r = build_range() %}
{%- set metrics = [
    'pv', 'uv', 'real_name_count', 'bind_card_count', 'new_member_count', 'credit_order_count',
    'daily_member_deduction', 'history_member_deduction', 'total_deduction'
] %}

with

build_days as (
    select calendar.stat_date
    from {{ ref('int_calendar') }} as calendar
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

page_views as (
    select
        {{ local_date('staged_events.event_time') }} as stat_date,
        staged_events.event_id,
        {{ visitor_key('staged_events.user_id', 'staged_events.device_id') }} as visitor_key
    from {{ ref('stg_event_logs') }} as staged_events
    where
        staged_events.event_type = 'page_view'
        and {{ local_days_between('staged_events.event_time', r.start, r.end) }}
),

traffic as (
    select
        page_views.stat_date,
        count(distinct page_views.event_id) as pv,
        count(distinct page_views.visitor_key) as uv
    from page_views
    group by page_views.stat_date
),

first_times as (
    select
        'real_name' as milestone,
        min(auths.approved_at) as first_at
    from {{ ref('stg_real_name_auths') }} as auths
    where auths.status = 'approved' and auths.user_id is not null
    group by auths.user_id

    union all

    select
        'bind_card' as milestone,
        min(binds.bound_at) as first_at
    from {{ ref('stg_bank_cards') }} as binds
    where binds.bind_status = 'success' and binds.user_id is not null
    group by binds.user_id

    union all

    select
        'new_member' as milestone,
        min(coalesce(member_orders.effective_at, member_orders.paid_at)) as first_at
    from {{ ref('stg_member_orders') }} as member_orders
    where member_orders.status = 'paid' and member_orders.user_id is not null
    group by member_orders.user_id
),

first_counts as (
    select
        {{ local_date('first_times.first_at') }} as stat_date,
        sum(case when first_times.milestone = 'real_name' then 1 else 0 end) as real_name_count,
        sum(case when first_times.milestone = 'bind_card' then 1 else 0 end) as bind_card_count,
        sum(case when first_times.milestone = 'new_member' then 1 else 0 end) as new_member_count
    from first_times
    where {{ local_days_between('first_times.first_at', r.start, r.end) }}
    group by {{ local_date('first_times.first_at') }}
),

credit_orders as (
    select
        {{ local_date('orders.created_at') }} as stat_date,
        count(*) as credit_order_count
    from {{ ref('stg_orders') }} as orders
    where orders.pay_method = 'credit' and {{ local_days_between('orders.created_at', r.start, r.end) }}
    group by {{ local_date('orders.created_at') }}
),

member_deductions as (
    select
        {{ local_date('deductions.deducted_at') }} as stat_date,
        sum(deductions.amount) as daily_member_deduction
    from {{ ref('stg_deductions') }} as deductions
    where
        deductions.service_type = 'member'
        and deductions.status = 'success'
        and {{ local_days_between('deductions.deducted_at', r.start, r.end) }}
    group by {{ local_date('deductions.deducted_at') }}
),

movements as (
    select
        deduction.service_type,
        deduction.deducted_at as movement_at,
        deduction.amount as signed_amount
    from {{ ref('stg_deductions') }} as deduction
    where deduction.status = 'success' and {{ local_days_between('deduction.deducted_at', none, r.end) }}

    union all

    select
        refunded_deduction.service_type,
        refund.refunded_at as movement_at,
        -refund.amount as signed_amount
    from {{ ref('stg_refunds') }} as refund
    inner join {{ ref('stg_deductions') }} as refunded_deduction
        on refund.deduction_id = refunded_deduction.deduction_id
    where
        refund.status = 'success'
        and refunded_deduction.status = 'success'
        and {{ local_days_between('refund.refunded_at', none, r.end) }}
),

cumulative as (
    select
        build_days.stat_date,
        sum(case when movements.service_type = 'member' then movements.signed_amount else 0 end)
            as history_member_deduction,
        sum(movements.signed_amount) as total_deduction
    from build_days
    inner join movements on {{ local_date('movements.movement_at') }} <= build_days.stat_date
    group by build_days.stat_date
),

expected as (
    select
        build_days.stat_date,
        coalesce(traffic.pv, 0) as pv,
        coalesce(traffic.uv, 0) as uv,
        coalesce(first_counts.real_name_count, 0) as real_name_count,
        coalesce(first_counts.bind_card_count, 0) as bind_card_count,
        coalesce(first_counts.new_member_count, 0) as new_member_count,
        coalesce(credit_orders.credit_order_count, 0) as credit_order_count,
        coalesce(member_deductions.daily_member_deduction, 0) as daily_member_deduction,
        coalesce(cumulative.history_member_deduction, 0) as history_member_deduction,
        coalesce(cumulative.total_deduction, 0) as total_deduction
    from build_days
    left join traffic on build_days.stat_date = traffic.stat_date
    left join first_counts on build_days.stat_date = first_counts.stat_date
    left join credit_orders on build_days.stat_date = credit_orders.stat_date
    left join member_deductions on build_days.stat_date = member_deductions.stat_date
    left join cumulative on build_days.stat_date = cumulative.stat_date
),

published as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.channel = 'all' and daily_rows.device_type = 'all'
),

-- expected and published side by side, joined once: each CTE reference is computed again on
-- MariaDB, so the checks below read this once and unpivot it with a small list of names
compared as (
    select
        expected.*,
        {%- for m in metrics %}
        published.{{ m }} as published_{{ m }},
        {%- endfor %}
        published.stat_date as published_date
    from expected
    left join published on expected.stat_date = published.stat_date
),

checks as (
    {%- for check in ['all / all row missing'] + metrics %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select '{{ check }}' as failed_check
    {%- endfor %}
),

check_values as (
    select
        checks.failed_check,
        compared.stat_date,
        compared.published_date,
        case checks.failed_check
            {%- for m in metrics %}
            when '{{ m }}' then cast(compared.published_{{ m }} as decimal(18, 2))
            {%- endfor %}
        end as published_value,
        case checks.failed_check
            {%- for m in metrics %}
            when '{{ m }}' then cast(compared.{{ m }} as decimal(18, 2))
            {%- endfor %}
        end as contract_value
    from compared
    cross join checks
)

select
    check_values.failed_check,
    check_values.stat_date,
    check_values.published_value,
    check_values.contract_value
from check_values
where
    (check_values.failed_check = 'all / all row missing' and check_values.published_date is null)
    or (check_values.published_date is not null and check_values.published_value <> check_values.contract_value)
