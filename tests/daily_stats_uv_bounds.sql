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
    select ds.*
    from {{ ref('daily_stats') }} as ds
    where ds.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

device_parts as (
    select
        b.stat_date,
        b.channel,
        max(b.uv) as max_uv,
        sum(b.uv) as sum_uv
    from built as b
    where b.device_type <> 'all'
    group by b.stat_date, b.channel
),

channel_parts as (
    select
        b.stat_date,
        b.device_type,
        max(b.uv) as max_uv,
        sum(b.uv) as sum_uv
    from built as b
    where b.channel <> 'all'
    group by b.stat_date, b.device_type
)

select
    'uv above pv' as failure,
    b.stat_date,
    b.channel,
    b.device_type,
    b.uv,
    b.pv as bound
from built as b
where b.uv > b.pv

union all

select
    'avg_visit_duration without visitors' as failure,
    b.stat_date,
    b.channel,
    b.device_type,
    b.uv,
    b.avg_visit_duration as bound
from built as b
where b.uv = 0 and b.avg_visit_duration <> 0

union all

select
    'all-device uv outside [max, sum] of its devices' as failure,
    b.stat_date,
    b.channel,
    b.device_type,
    b.uv,
    dp.sum_uv as bound
from built as b
inner join device_parts as dp on b.stat_date = dp.stat_date and b.channel = dp.channel
where b.device_type = 'all' and (b.uv < dp.max_uv or b.uv > dp.sum_uv)

union all

select
    'all-channel uv outside [max, sum] of its channels' as failure,
    b.stat_date,
    b.channel,
    b.device_type,
    b.uv,
    cp.sum_uv as bound
from built as b
inner join channel_parts as cp on b.stat_date = cp.stat_date and b.device_type = cp.device_type
where b.channel = 'all' and (b.uv < cp.max_uv or b.uv > cp.sum_uv)
