{{
    config(
        materialized='incremental',
        incremental_strategy='replace_range',
        range_column='stat_date',
        unique_key='event_id',
        post_hook=["{{ ensure_indexes([['stat_date', 'visitor_key', 'event_time'], ['visitor_key', 'event_time'], 'event_id']) }}"]
    )
}}
{#- Page views, one row each, with the visitor key, local day/hour and the visit duration rule
    of models/docs/metrics.md. Incremental by local day: a run replaces every day of its build range
    (replace_range), so weekly and monthly marts read the earlier days of their periods from
    here instead of recomputing them. Rules:
      duration = first page_leave (by extra_data.page_view_id) - view time,
                 else gap to the next page_view of the same session (event_time, event_id),
                 else 1; clamped to [1, 86400];
      outlier  = duration above the day's continuous quantile (quantile_cont, 99.9th). -#}
{%- set quantile_permille = var('duration_outlier_quantile_permille') | int %}

with

durations as (
    select
        window_durations.event_id,
        window_durations.stat_date,
        window_durations.stat_hour,
        window_durations.visitor_key,
        window_durations.session_id,
        window_durations.channel,
        window_durations.device_type,
        window_durations.event_time,
        window_durations.duration_seconds
    from {{ ref('int_page_view_durations_in_window') }} as window_durations
),

ranked_durations as (
    select
        durations.stat_date,
        durations.duration_seconds,
        row_number() over (partition by durations.stat_date order by durations.duration_seconds) as rank_in_day,
        count(*) over (partition by durations.stat_date) as views_in_day
    from durations
),

quantile_positions as (
    -- quantile_cont(q) interpolates between the values at 0-based positions
    -- floor((n - 1) * q) and the next one, with weight frac((n - 1) * q).
    select
        ranked_durations.stat_date,
        ranked_durations.duration_seconds,
        ranked_durations.rank_in_day,
        {{ int_div('(ranked_durations.views_in_day - 1) * ' ~ quantile_permille, 1000) }} + 1 as low_rank,
        least(
            {{ int_div('(ranked_durations.views_in_day - 1) * ' ~ quantile_permille, 1000) }} + 2,
            ranked_durations.views_in_day
        ) as high_rank,
        ((ranked_durations.views_in_day - 1) * {{ quantile_permille }}) % 1000 as weight_permille
    from ranked_durations
),

quantile_neighbours as (
    -- the two durations the quantile interpolates between, and the weight, per day
    select
        quantile_positions.stat_date,
        max(
            case
                when quantile_positions.rank_in_day = quantile_positions.low_rank
                    then quantile_positions.duration_seconds
            end
        ) as low_duration,
        max(
            case
                when quantile_positions.rank_in_day = quantile_positions.high_rank
                    then quantile_positions.duration_seconds
            end
        ) as high_duration,
        max(quantile_positions.weight_permille) as weight_permille
    from quantile_positions
    group by quantile_positions.stat_date
),

day_thresholds as (
    -- threshold_x1000 = 1000 * quantile, exact in integers.
    select
        quantile_neighbours.stat_date,
        1000 * quantile_neighbours.low_duration
        + quantile_neighbours.weight_permille * (
            quantile_neighbours.high_duration - quantile_neighbours.low_duration
        ) as threshold_x1000
    from quantile_neighbours
)

select
    {{ as_string('durations.event_id', 64) }} as event_id,
    durations.stat_date,
    {{ as_int('durations.stat_hour') }} as stat_hour,
    {{ as_string('durations.visitor_key', 102) }} as visitor_key,
    {{ as_string('durations.session_id', 100) }} as session_id,
    durations.channel,
    durations.device_type,
    durations.event_time,
    {{ as_int('durations.duration_seconds') }} as duration_seconds,
    {{ as_int('case when 1000 * durations.duration_seconds > day_thresholds.threshold_x1000 then 1 else 0 end') }}
        as is_duration_outlier,
    {{ as_int(
        'case when 1000 * durations.duration_seconds > day_thresholds.threshold_x1000'
        ~ ' then 0 else durations.duration_seconds end'
    ) }} as counted_duration_seconds
from durations
inner join day_thresholds on durations.stat_date = day_thresholds.stat_date
