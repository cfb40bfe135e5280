{{
    config(
        materialized='incremental',
        incremental_strategy='replace_range',
        range_column='first_view_date',
        unique_key='visitor_key',
        post_hook=["{{ ensure_indexes(['visitor_key', 'first_view_date']) }}"]
    )
}}
{#- Each visitor's first-ever page view (visitor key = user_id, else 'd:' + device_id), over
    every built day of int_page_views. A run recomputes the visitors seen in the build range
    and those whose stored first view falls in it, from all their page views: a first view can
    move earlier (a late view) or later (a re-delivery changed the dedup winner), and a
    visitor left without any view is dropped (replace_range deletes the range's rows). -#}
{%- set r = build_range() %}

with

range_visitors as (
    select page_views.visitor_key
    from {{ ref('int_page_views') }} as page_views
    where
        page_views.visitor_key is not null
        and page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    {%- if is_incremental() %}

    union

    select stored_first_views.visitor_key
    from {{ this }} as stored_first_views
    where stored_first_views.first_view_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    {%- endif %}
),

first_views as (
    select
        page_views.visitor_key,
        min(page_views.event_time) as first_view_at
    from {{ ref('int_page_views') }} as page_views
    -- a join, not IN (subquery): MariaDB then looks the visitors up by index
    inner join range_visitors on page_views.visitor_key = range_visitors.visitor_key
    group by page_views.visitor_key
)

select
    {{ as_string('first_views.visitor_key', 102) }} as visitor_key,
    first_views.first_view_at,
    {{ local_date('first_views.first_view_at') }} as first_view_date
from first_views
