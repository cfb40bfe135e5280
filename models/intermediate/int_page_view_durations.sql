{#- Each page view of the build range with its visitor key, local day/hour and visit
    duration (METRICS.md): first page_leave (extra_data.page_view_id) - view time, else the gap
    to the next page_view of the same session (by event_time, event_id), else 1; clamped to
    [1, 86400]. A model of its own so that MariaDB computes it once (it inlines CTEs at every
    reference); int_page_views adds the day's outlier threshold. -#}
{%- set r = build_range() %}

with

range_views as (
    select
        e.event_id,
        e.user_id,
        e.device_id,
        e.session_id,
        e.channel,
        e.device_type,
        e.event_time
    from {{ ref('stg_event_logs') }} as e
    where
        e.event_type = 'page_view'
        and {{ local_days_between('e.event_time', r.start, r.end) }}
),

session_views as (
    select
        e.event_id,
        e.session_id,
        e.event_time
    from {{ ref('stg_event_logs') }} as e
    -- joins, not IN (subquery): MariaDB then drives from the range and uses the indexes
    inner join (
        select distinct rv.session_id from range_views as rv
        where rv.session_id is not null
    ) as range_sessions on e.session_id = range_sessions.session_id
    where e.event_type = 'page_view'
),

next_views as (
    select
        sv.event_id,
        lead(sv.event_time) over (
            partition by sv.session_id
            order by sv.event_time, sv.event_id
        ) as next_view_time
    from session_views as sv
),

leaves as (
    select
        e.page_view_id,
        min(e.event_time) as leave_time
    from {{ ref('stg_event_logs') }} as e
    inner join range_views as rv on e.page_view_id = rv.event_id
    where e.event_type = 'page_leave'
    group by e.page_view_id
),

durations as (
    select
        rv.event_id,
        {{ local_date('rv.event_time') }} as stat_date,
        {{ local_hour('rv.event_time') }} as stat_hour,
        case
            when rv.user_id is not null then rv.user_id
            when rv.device_id is not null then concat('d:', rv.device_id)
        end as visitor_key,
        rv.session_id,
        rv.channel,
        rv.device_type,
        rv.event_time,
        least(
            greatest(
                coalesce(
                    {{ seconds_between('rv.event_time', 'lv.leave_time') }},
                    {{ seconds_between('rv.event_time', 'nv.next_view_time') }},
                    1
                ),
                1
            ),
            86400
        ) as duration_seconds
    from range_views as rv
    left join leaves as lv on rv.event_id = lv.page_view_id
    left join next_views as nv on rv.event_id = nv.event_id
)

select
    d.event_id,
    d.stat_date,
    d.stat_hour,
    d.visitor_key,
    d.session_id,
    d.channel,
    d.device_type,
    d.event_time,
    d.duration_seconds
from durations as d
