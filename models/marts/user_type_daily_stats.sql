{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'user_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'user_type']]) }}"]
    )
}}
{#- 新老用户统计 user_type_daily_stats: one row per local day x user_type (new / old),
    dense, one column per published metric of the registry but the cumulative ones. A row over
    page views is `new` on the local date of its visitor's first-ever page view (no visitor
    key: `new`, it cannot be recognised as returning); any other row is `new` when its user
    registered on that local date (users missing from `users`: `old`). -#}
{%- set r = build_range() %}
{%- set metrics = mart_metrics('user_type_daily_stats') %}

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

page_views as (
    select
        int_page_views.*,
        case
            when
                int_page_views.visitor_key is null
                or first_seen.first_view_date = int_page_views.stat_date
                then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_page_views') }} as int_page_views
    left join {{ ref('int_visitor_first_seen') }} as first_seen
        on int_page_views.visitor_key = first_seen.visitor_key
    where int_page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

metric_facts as (
    select
        int_metric_facts_in_window.*,
        case
            when
                known_users.registered_at is not null
                and {{ local_date('known_users.registered_at') }} = int_metric_facts_in_window.stat_date
                then 'new'
            else 'old'
        end as user_type
    from {{ ref('int_metric_facts_in_window') }} as int_metric_facts_in_window
    left join {{ ref('stg_users') }} as known_users
        on int_metric_facts_in_window.user_id = known_users.user_id
    where int_metric_facts_in_window.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

type_metrics as (
    {{ grain_metrics('grid', ['stat_date', 'user_type'], 'page_views', 'metric_facts', metrics, by_slice=false) }}
),

final as (
    select
        type_metrics.stat_date,
        {{ as_string('type_metrics.user_type', 10) }} as user_type,
        {%- for metric in metrics %}
        type_metrics.{{ metric.name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from type_metrics
)

select * from final
