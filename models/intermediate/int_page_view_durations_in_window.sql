{#- Page views of this run's build range only (a table rebuilt by every run, holding no other
    days), each with its visitor key, local day/hour and visit duration (docs/metrics.md): first
    page_leave (extra_data.page_view_id) - view time, else the gap to the next page_view of the
    same session (by event_time, event_id), else 1; clamped to [1, 86400]. A table of its own,
    not a CTE, so that MariaDB computes it once (it inlines a CTE at every reference, and
    int_page_views reads it twice); int_page_views adds the day's outlier threshold. -#}
{%- set r = build_range() %}

with

range_views as (
    select
        staged_events.event_id,
        staged_events.user_id,
        staged_events.device_id,
        staged_events.session_id,
        staged_events.channel,
        staged_events.device_type,
        staged_events.event_time
    from {{ ref('stg_event_logs') }} as staged_events
    where
        staged_events.event_type = 'page_view'
        and {{ local_days_between('staged_events.event_time', r.start, r.end) }}
),

session_views as (
    select
        staged_events.event_id,
        staged_events.session_id,
        staged_events.event_time
    from {{ ref('stg_event_logs') }} as staged_events
    -- joins, not IN (subquery): MariaDB then drives from the range and uses the indexes
    inner join (
        select distinct range_views.session_id from range_views
        where range_views.session_id is not null
    ) as range_sessions on staged_events.session_id = range_sessions.session_id
    where staged_events.event_type = 'page_view'
),

next_views as (
    select
        session_views.event_id,
        lead(session_views.event_time) over (
            partition by session_views.session_id
            order by session_views.event_time, session_views.event_id
        ) as next_view_time
    from session_views
),

leaves as (
    select
        staged_events.page_view_id,
        min(staged_events.event_time) as leave_time
    from {{ ref('stg_event_logs') }} as staged_events
    inner join range_views on staged_events.page_view_id = range_views.event_id
    where staged_events.event_type = 'page_leave'
    group by staged_events.page_view_id
),

durations as (
    select
        range_views.event_id,
        {{ local_date('range_views.event_time') }} as stat_date,
        {{ local_hour('range_views.event_time') }} as stat_hour,
        {{ visitor_key('range_views.user_id', 'range_views.device_id') }} as visitor_key,
        range_views.session_id,
        range_views.channel,
        range_views.device_type,
        range_views.event_time,
        least(
            greatest(
                coalesce(
                    {{ seconds_between('range_views.event_time', 'leaves.leave_time') }},
                    {{ seconds_between('range_views.event_time', 'next_views.next_view_time') }},
                    1
                ),
                1
            ),
            86400
        ) as duration_seconds
    from range_views
    left join leaves on range_views.event_id = leaves.page_view_id
    left join next_views on range_views.event_id = next_views.event_id
)

select
    durations.event_id,
    durations.stat_date,
    durations.stat_hour,
    durations.visitor_key,
    durations.session_id,
    durations.channel,
    durations.device_type,
    durations.event_time,
    durations.duration_seconds
from durations
