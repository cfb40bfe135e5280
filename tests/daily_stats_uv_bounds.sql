{#- daily_stats, days of the build range: the distinct count and the ratio behave as
    distinct counts must, without being summed:
      - uv <= pv (every visitor has at least one page view);
      - avg_visit_duration = 0 when uv = 0;
      - an `all` row's uv lies between the largest uv of its slices (a visitor of a slice is a
        visitor of the whole) and their sum (a visitor seen in two slices counts once).
    Severity error: these follow from the definitions for any input. (There is no upper
    bound on avg_visit_duration: the 86400 s clamp is per page view.) -#}
{%- set r = build_range() %}

with

built as (
    select daily_rows.*
    from {{ ref('daily_stats') }} as daily_rows
    where daily_rows.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

device_parts as (
    select
        built.stat_date,
        built.channel,
        max(built.uv) as max_uv,
        sum(built.uv) as sum_uv
    from built
    where built.device_type <> 'all'
    group by built.stat_date, built.channel
),

channel_parts as (
    select
        built.stat_date,
        built.device_type,
        max(built.uv) as max_uv,
        sum(built.uv) as sum_uv
    from built
    where built.channel <> 'all'
    group by built.stat_date, built.device_type
)

select
    'uv above pv' as failure,
    built.stat_date,
    built.channel,
    built.device_type,
    built.uv,
    built.pv as bound
from built
where built.uv > built.pv

union all

select
    'avg_visit_duration without visitors' as failure,
    built.stat_date,
    built.channel,
    built.device_type,
    built.uv,
    built.avg_visit_duration as bound
from built
where built.uv = 0 and built.avg_visit_duration <> 0

union all

select
    'all-device uv outside [max, sum] of its devices' as failure,
    built.stat_date,
    built.channel,
    built.device_type,
    built.uv,
    device_parts.sum_uv as bound
from built
inner join device_parts on built.stat_date = device_parts.stat_date and built.channel = device_parts.channel
where built.device_type = 'all' and (built.uv < device_parts.max_uv or built.uv > device_parts.sum_uv)

union all

select
    'all-channel uv outside [max, sum] of its channels' as failure,
    built.stat_date,
    built.channel,
    built.device_type,
    built.uv,
    channel_parts.sum_uv as bound
from built
inner join channel_parts on built.stat_date = channel_parts.stat_date and built.device_type = channel_parts.device_type
where built.channel = 'all' and (built.uv < channel_parts.max_uv or built.uv > channel_parts.sum_uv)
