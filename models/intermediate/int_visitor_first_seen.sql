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
    every built day of int_page_views. A run reads the page views of its build range only:
    every day before the range is built and unchanged by this run (a build starts no later
    than the earliest day touched by late rows), so
      - a visitor stored with a first view before the range keeps it;
      - any other visitor has no view before the range: the first view is the earliest of
        the range (and the range ends at the last built day, so none comes after it);
      - a visitor whose stored first view was in the range and who has no view left there
        is dropped (replace_range deletes the range's rows first). -#}
{%- set r = build_range() %}

with

range_views as (
    select
        page_views.visitor_key,
        page_views.event_time
    from {{ ref('int_page_views') }} as page_views
    where
        page_views.visitor_key is not null
        and page_views.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

first_views as (
    select
        range_views.visitor_key,
        min(range_views.event_time) as first_view_at
    from range_views
    {%- if is_incremental() %}
    -- visitors first seen before the range keep their row (an index lookup per visitor)
    left join {{ this }} as earlier_visitors
        on
            range_views.visitor_key = earlier_visitors.visitor_key
            and earlier_visitors.first_view_date < {{ date_literal(r.start) }}
    where earlier_visitors.visitor_key is null
    {%- endif %}
    group by range_views.visitor_key
)

select
    {{ as_string('first_views.visitor_key', 102) }} as visitor_key,
    first_views.first_view_at,
    {{ local_date('first_views.first_view_at') }} as first_view_date
from first_views
