-- depends_on: {{ ref('int_page_views') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visitor_key',
        post_hook=["{{ ensure_indexes(['visitor_key']) }}"]
    )
}}
{#- Each visitor's first-ever page view (visitor key = user_id, else 'd:' + device_id).
    The first build scans all page views; later builds merge the build range's page views
    with the stored first views of the same visitors, so the cost follows the range. -#}

with

views as (
    {%- if is_incremental() %}
    select
        pv.visitor_key,
        pv.event_time
    from {{ ref('int_page_views') }} as pv
    where pv.visitor_key is not null and pv.stat_date >= {{ date_literal(build_range().start) }}

    union all

    select
        cur.visitor_key,
        cur.first_view_at as event_time
    from {{ this }} as cur
    -- a join, not IN (subquery): MariaDB runs the latter once per stored visitor
    inner join (
        select distinct pv.visitor_key from {{ ref('int_page_views') }} as pv
        where pv.visitor_key is not null and pv.stat_date >= {{ date_literal(build_range().start) }}
    ) as range_visitors on cur.visitor_key = range_visitors.visitor_key
    {%- else %}
    select
        e.event_time,
        case
            when e.user_id is not null then e.user_id
            when e.device_id is not null then concat('d:', e.device_id)
        end as visitor_key
    from {{ ref('stg_event_logs') }} as e
    where e.event_type = 'page_view' and (e.user_id is not null or e.device_id is not null)
    {%- endif %}
)

select
    {{ as_string('v.visitor_key', 102) }} as visitor_key,
    min(v.event_time) as first_view_at,
    {{ local_date('min(v.event_time)') }} as first_view_date
from views as v
group by v.visitor_key
