{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'user_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'user_type']]) }}"]
    )
}}
{#- 新老用户统计 user_type_daily_stats (seed §2.2): one row per local day x user_type
    (new / old), dense. Traffic: a visitor is `new` on the local date of its first-ever
    page view; page views without a visitor key count in pv of `new` (they cannot be
    recognised as returning). Business: a user is `new` on the local date of registered_at;
    users missing from `users` are `old`. -#}
{%- set r = build_range() %}

with

grid as (
    select
        cal.stat_date,
        ut.user_type
    from {{ ref('int_calendar') }} as cal
    cross join (
        select 'new' as user_type
        union all
        select 'old' as user_type
    ) as ut
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

typed_views as (
    select
        pv_.*,
        case
            when pv_.visitor_key is null or fs.first_view_date = pv_.stat_date then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_page_views') }} as pv_
    left join {{ ref('int_visitor_first_seen') }} as fs on pv_.visitor_key = fs.visitor_key
    where pv_.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

traffic as (
    select
        pv_.stat_date,
        pv_.user_type,
        {{ traffic_aggregates() }}
    from typed_views as pv_
    group by pv_.stat_date, pv_.user_type
),

typed_facts as (
    select
        f.*,
        case
            when u.registered_at is not null and {{ local_date('u.registered_at') }} = f.stat_date
                then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_business_facts') }} as f
    left join {{ ref('stg_users') }} as u on f.user_id = u.user_id
    where f.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

business as (
    select
        f_.stat_date,
        f_.user_type,
        {{ business_aggregates() }}
    from typed_facts as f_
    group by f_.stat_date, f_.user_type
)

select
    g.stat_date,
    {{ as_string('g.user_type', 10) }} as user_type,
    {{ as_int('coalesce(t.pv, 0)') }} as pv,
    {{ as_int('coalesce(t.uv, 0)') }} as uv,
    {{ as_int(avg_visit_duration('coalesce(t.total_duration, 0)', 'coalesce(t.uv, 0)')) }} as avg_visit_duration,
    {{ as_int('coalesce(b.real_name_count, 0)') }} as real_name_count,
    {{ as_int('coalesce(b.bind_card_count, 0)') }} as bind_card_count,
    {{ as_int('coalesce(b.new_member_count, 0)') }} as new_member_count,
    {{ as_int('coalesce(b.credit_order_count, 0)') }} as credit_order_count,
    cast(coalesce(b.member_deduction, 0) as decimal(18, 2)) as daily_member_deduction
from grid as g
left join traffic as t on g.stat_date = t.stat_date and g.user_type = t.user_type
left join business as b on g.stat_date = b.stat_date and g.user_type = b.user_type
