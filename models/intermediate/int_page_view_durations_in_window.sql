{#- Page views of this run's build range only (a table rebuilt by every run, holding no other
    days) — but those the collector flagged as bots (extra_data.bot) unless dbt var
    count_bot_traffic is true — each with its visitor key, local day/hour and visit duration (models/docs/metrics.md): first
    page_leave (extra_data.page_view_id) - view time, else the gap to the next page_view of the
    same session (by event_time, event_id), else 1; clamped to [1, 86400]. A table of its own,
    not a CTE, so that MariaDB computes it once (it inlines a CTE at every reference, and
    int_page_views reads it twice); int_page_views adds the day's outlier threshold. -#}
{%- set r = build_range() %}
{%- set day = modules.datetime.timedelta(days=1) %}

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
        {%- if not var('count_bot_traffic') %}
        -- the collector's bots (extra_data.bot: crawlers, headless browsers) are not visitors;
        -- their sessions are their own, so the next-view and leave lookups below need no filter
        and coalesce({{ json_string_field('staged_events.extra_data', 'bot') }}, 'false') <> 'true'
        {%- endif %}
),

window_views as (
    -- the page views a range view's next view can be, bounded by event_time (an index range,
    -- not a scan of history): a view before the range is never a later one, and a next view
    -- more than a day after the range gives a gap over 86400 s, i.e. the clamp (later_sessions)
    select
        staged_events.event_id,
        staged_events.session_id,
        staged_events.event_time
    from {{ ref('stg_event_logs') }} as staged_events
    where
        staged_events.event_type = 'page_view'
        and staged_events.session_id is not null
        and {{ local_days_between('staged_events.event_time', r.start, r.end + day) }}
),

later_sessions as (
    -- sessions with a page view after that window: their last view of the window has a next
    -- view more than a day later
    select distinct staged_events.session_id
    from {{ ref('stg_event_logs') }} as staged_events
    where
        staged_events.event_type = 'page_view'
        and staged_events.session_id is not null
        and {{ local_days_between('staged_events.event_time', r.end + day + day, none) }}
),

next_views as (
    select
        window_views.event_id,
        window_views.session_id,
        lead(window_views.event_time) over (
            partition by window_views.session_id
            order by window_views.event_time, window_views.event_id
        ) as next_view_time
    from window_views
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
                    case when later_sessions.session_id is not null then 86400 end,
                    1
                ),
                1
            ),
            86400
        ) as duration_seconds
    from range_views
    left join leaves on range_views.event_id = leaves.page_view_id
    left join next_views on range_views.event_id = next_views.event_id
    left join later_sessions
        on next_views.next_view_time is null and next_views.session_id = later_sessions.session_id
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
