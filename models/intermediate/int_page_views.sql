{{
    config(
        materialized='incremental',
        incremental_strategy='replace_range',
        range_column='stat_date',
        unique_key='event_id',
        post_hook=["{{ ensure_indexes(['stat_date', 'visitor_key', 'event_id']) }}"]
    )
}}
{#- Page views, one row each, with the visitor key, local day/hour and the visit duration
    rule of METRICS.md. Incremental by local day: a run replaces every day of its build range (replace_range),
    so weekly and monthly marts read the earlier days of their periods from here instead of
    recomputing them. Rules:
      duration = first page_leave (by extra_data.page_view_id) - view time,
                 else gap to the next page_view of the same session (event_time, event_id),
                 else 1; clamped to [1, 86400];
      outlier  = duration above the day's continuous quantile (quantile_cont, 99.9th). -#}
{%- set q = var('duration_outlier_quantile_permille') | int %}

with

durations as (
    select
        pvd.event_id,
        pvd.stat_date,
        pvd.stat_hour,
        pvd.visitor_key,
        pvd.session_id,
        pvd.channel,
        pvd.device_type,
        pvd.event_time,
        pvd.duration_seconds
    from {{ ref('int_page_view_durations') }} as pvd
),

ranked as (
    select
        d.stat_date,
        d.duration_seconds,
        row_number() over (partition by d.stat_date order by d.duration_seconds) as rank_in_day,
        count(*) over (partition by d.stat_date) as views_in_day
    from durations as d
),

quantile_position as (
    -- quantile_cont(q) interpolates between the values at 0-based positions
    -- floor((n - 1) * q) and the next one, with weight frac((n - 1) * q).
    select
        rk.stat_date,
        rk.duration_seconds,
        rk.rank_in_day,
        {{ int_div('(rk.views_in_day - 1) * ' ~ q, 1000) }} + 1 as low_rank,
        least({{ int_div('(rk.views_in_day - 1) * ' ~ q, 1000) }} + 2, rk.views_in_day) as high_rank,
        ((rk.views_in_day - 1) * {{ q }}) % 1000 as weight_permille
    from ranked as rk
),

day_threshold as (
    -- threshold_x1000 = 1000 * quantile, exact in integers.
    select
        qp.stat_date,
        1000 * max(case when qp.rank_in_day = qp.low_rank then qp.duration_seconds end)
        + max(qp.weight_permille) * (
            max(case when qp.rank_in_day = qp.high_rank then qp.duration_seconds end)
            - max(case when qp.rank_in_day = qp.low_rank then qp.duration_seconds end)
        ) as threshold_x1000
    from quantile_position as qp
    group by qp.stat_date
)

select
    {{ as_string('d.event_id', 64) }} as event_id,
    d.stat_date,
    {{ as_int('d.stat_hour') }} as stat_hour,
    {{ as_string('d.visitor_key', 102) }} as visitor_key,
    {{ as_string('d.session_id', 100) }} as session_id,
    d.channel,
    d.device_type,
    d.event_time,
    {{ as_int('d.duration_seconds') }} as duration_seconds,
    {{ as_int('case when 1000 * d.duration_seconds > t.threshold_x1000 then 1 else 0 end') }}
        as is_duration_outlier,
    {{ as_int('case when 1000 * d.duration_seconds > t.threshold_x1000 then 0 else d.duration_seconds end') }}
        as counted_duration_seconds
from durations as d
inner join day_threshold as t on d.stat_date = t.stat_date
