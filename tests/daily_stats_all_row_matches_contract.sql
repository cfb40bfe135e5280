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
    select cal.stat_date
    from {{ ref('int_calendar') }} as cal
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

page_views as (
    select
        {{ local_date('e.event_time') }} as stat_date,
        e.event_id,
        case
            when e.user_id is not null then e.user_id
            when e.device_id is not null then concat('d:', e.device_id)
        end as visitor_key
    from {{ ref('stg_event_logs') }} as e
    where e.event_type = 'page_view' and {{ local_days_between('e.event_time', r.start, r.end) }}
),

traffic as (
    select
        pv.stat_date,
        count(distinct pv.event_id) as pv,
        count(distinct pv.visitor_key) as uv
    from page_views as pv
    group by pv.stat_date
),

first_times as (
    select
        'real_name' as milestone,
        min(a.approved_at) as first_at
    from {{ ref('stg_real_name_auths') }} as a
    where a.status = 'approved' and a.user_id is not null
    group by a.user_id

    union all

    select
        'bind_card' as milestone,
        min(b.bound_at) as first_at
    from {{ ref('stg_bank_cards') }} as b
    where b.bind_status = 'success' and b.user_id is not null
    group by b.user_id

    union all

    select
        'new_member' as milestone,
        min(coalesce(mo.effective_at, mo.paid_at)) as first_at
    from {{ ref('stg_member_orders') }} as mo
    where mo.status = 'paid' and mo.user_id is not null
    group by mo.user_id
),

first_counts as (
    select
        {{ local_date('ft.first_at') }} as stat_date,
        sum(case when ft.milestone = 'real_name' then 1 else 0 end) as real_name_count,
        sum(case when ft.milestone = 'bind_card' then 1 else 0 end) as bind_card_count,
        sum(case when ft.milestone = 'new_member' then 1 else 0 end) as new_member_count
    from first_times as ft
    where {{ local_days_between('ft.first_at', r.start, r.end) }}
    group by {{ local_date('ft.first_at') }}
),

credit_orders as (
    select
        {{ local_date('o.created_at') }} as stat_date,
        count(*) as credit_order_count
    from {{ ref('stg_orders') }} as o
    where o.pay_method = 'credit' and {{ local_days_between('o.created_at', r.start, r.end) }}
    group by {{ local_date('o.created_at') }}
),

member_deductions as (
    select
        {{ local_date('d.deducted_at') }} as stat_date,
        sum(d.amount) as daily_member_deduction
    from {{ ref('stg_deductions') }} as d
    where
        d.service_type = 'member'
        and d.status = 'success'
        and {{ local_days_between('d.deducted_at', r.start, r.end) }}
    group by {{ local_date('d.deducted_at') }}
),

movements as (
    select
        d.service_type,
        d.deducted_at as movement_at,
        d.amount as signed_amount
    from {{ ref('stg_deductions') }} as d
    where d.status = 'success' and {{ local_days_between('d.deducted_at', none, r.end) }}

    union all

    select
        d.service_type,
        rf.refunded_at as movement_at,
        -rf.amount as signed_amount
    from {{ ref('stg_refunds') }} as rf
    inner join {{ ref('stg_deductions') }} as d on rf.deduction_id = d.deduction_id
    where
        rf.status = 'success'
        and d.status = 'success'
        and {{ local_days_between('rf.refunded_at', none, r.end) }}
),

cumulative as (
    select
        bd.stat_date,
        sum(case when mv.service_type = 'member' then mv.signed_amount else 0 end) as history_member_deduction,
        sum(mv.signed_amount) as total_deduction
    from build_days as bd
    inner join movements as mv on {{ local_date('mv.movement_at') }} <= bd.stat_date
    group by bd.stat_date
),

expected as (
    select
        bd.stat_date,
        coalesce(t.pv, 0) as pv,
        coalesce(t.uv, 0) as uv,
        coalesce(fc.real_name_count, 0) as real_name_count,
        coalesce(fc.bind_card_count, 0) as bind_card_count,
        coalesce(fc.new_member_count, 0) as new_member_count,
        coalesce(co.credit_order_count, 0) as credit_order_count,
        coalesce(md.daily_member_deduction, 0) as daily_member_deduction,
        coalesce(cu.history_member_deduction, 0) as history_member_deduction,
        coalesce(cu.total_deduction, 0) as total_deduction
    from build_days as bd
    left join traffic as t on bd.stat_date = t.stat_date
    left join first_counts as fc on bd.stat_date = fc.stat_date
    left join credit_orders as co on bd.stat_date = co.stat_date
    left join member_deductions as md on bd.stat_date = md.stat_date
    left join cumulative as cu on bd.stat_date = cu.stat_date
),

published as (
    select ds.*
    from {{ ref('daily_stats') }} as ds
    where ds.channel = 'all' and ds.device_type = 'all'
)

select
    'all / all row missing' as failed_check,
    ex.stat_date,
    cast(null as decimal(18, 2)) as published_value,
    cast(null as decimal(18, 2)) as contract_value
from expected as ex
left join published as pub on ex.stat_date = pub.stat_date
where pub.stat_date is null

{%- for m in metrics %}

union all

select
    '{{ m }}' as failed_check,
    ex.stat_date,
    cast(pub.{{ m }} as decimal(18, 2)) as published_value,
    cast(ex.{{ m }} as decimal(18, 2)) as contract_value
from expected as ex
inner join published as pub on ex.stat_date = pub.stat_date
where pub.{{ m }} <> ex.{{ m }}
{%- endfor %}
