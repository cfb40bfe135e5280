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
    users missing from `users` are `old`. The metrics: macros/grain_metrics.sql. -#}
{%- set r = build_range() %}

with

user_types as (
    select 'new' as user_type
    union all
    select 'old' as user_type
),

grid as (
    select
        calendar.stat_date,
        user_types.user_type
    from {{ ref('int_calendar') }} as calendar
    cross join user_types
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

typed_page_views as (
    select
        page_views.stat_date,
        page_views.visitor_key,
        page_views.counted_duration_seconds,
        case
            when page_views.visitor_key is null or first_seen.first_view_date = page_views.stat_date then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_page_views') }} as page_views
    left join {{ ref('int_visitor_first_seen') }} as first_seen
        on page_views.visitor_key = first_seen.visitor_key
    where page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

typed_business_facts as (
    select
        business_facts.stat_date,
        business_facts.fact,
        business_facts.amount,
        case
            when
                known_users.registered_at is not null
                and {{ local_date('known_users.registered_at') }} = business_facts.stat_date
                then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_business_facts_in_window') }} as business_facts
    left join {{ ref('stg_users') }} as known_users on business_facts.user_id = known_users.user_id
    where business_facts.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

numbers as (
    {{ grain_metrics('grid', ['stat_date', 'user_type'], 'typed_page_views', 'typed_business_facts', by_slice=false) }}
)

select
    numbers.stat_date,
    {{ as_string('numbers.user_type', 10) }} as user_type,
    numbers.pv,
    numbers.uv,
    numbers.avg_visit_duration,
    numbers.real_name_count,
    numbers.bind_card_count,
    numbers.new_member_count,
    numbers.credit_order_count,
    numbers.daily_member_deduction
from numbers
