{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'channel', 'device_type']]) }}"]
    )
}}
{#- Cumulative deduction snapshot: for each local day and slice, the net amounts
    (successful deductions minus successful refunds of successful deductions) since the
    beginning of data, as of the end of the day. Incremental: a run over [start, end] starts
    from the stored value of start - 1 and adds the days' movements, so a new day never
    rescans history. Only when that row is missing (first build, or a gap) is the base
    computed from all movements before start. -#}
{%- set r = build_range() %}
{%- set prev_day = r.start - modules.datetime.timedelta(days=1) %}
{%- set base_from_snapshot = false %}
{%- if is_incremental() and execute %}
{%- set found = run_query(
    "select count(*) from " ~ this ~ " where stat_date = " ~ date_literal(prev_day)
).columns[0].values()[0] %}
{%- set base_from_snapshot = (found | int) > 0 %}
{%- endif %}

with

grid as (
    select
        cal.stat_date,
        sl.channel,
        sl.device_type
    from {{ ref('int_calendar') }} as cal
    cross join {{ ref('int_slices') }} as sl
    where cal.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

day_movements as (
    select
        f.stat_date,
        {{ slice_channel('f.channel') }} as channel,
        {{ slice_device('f.device_type') }} as device_type,
        sum(case when f.fact = 'member_net' then f.amount else 0 end) as member_net_amount,
        sum(case when f.fact = 'total_net' then f.amount else 0 end) as total_net_amount
    from {{ ref('int_business_facts') }} as f
    {{ slice_rollup_join() }}
    where
        f.fact in ('member_net', 'total_net')
        and f.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        f.stat_date,
        {{ slice_channel('f.channel') }},
        {{ slice_device('f.device_type') }}
),

base as (
    {%- if base_from_snapshot %}
    select
        prev.channel,
        prev.device_type,
        prev.history_member_deduction as base_member,
        prev.total_deduction as base_total
    from {{ this }} as prev
    where prev.stat_date = {{ date_literal(prev_day) }}
    {%- else %}
    select
        {{ slice_channel('mv.channel') }} as channel,
        {{ slice_device('mv.device_type') }} as device_type,
        sum(case when mv.service_type = 'member' then mv.signed_amount else 0 end) as base_member,
        sum(mv.signed_amount) as base_total
    from ({{ with_user_slice(deduction_movements(none, prev_day)) }}) as mv
    {{ slice_rollup_join() }}
    group by
        {{ slice_channel('mv.channel') }},
        {{ slice_device('mv.device_type') }}
    {%- endif %}
),

daily as (
    select
        g.stat_date,
        g.channel,
        g.device_type,
        coalesce(dm.member_net_amount, 0) as member_net_amount,
        coalesce(dm.total_net_amount, 0) as total_net_amount,
        coalesce(b.base_member, 0) as base_member,
        coalesce(b.base_total, 0) as base_total
    from grid as g
    left join day_movements as dm
        on g.stat_date = dm.stat_date and g.channel = dm.channel and g.device_type = dm.device_type
    left join base as b
        on g.channel = b.channel and g.device_type = b.device_type
)

select
    dl.stat_date,
    {{ as_string('dl.channel', 50) }} as channel,
    {{ as_string('dl.device_type', 20) }} as device_type,
    cast(dl.member_net_amount as decimal(18, 2)) as member_net_amount,
    cast(dl.total_net_amount as decimal(18, 2)) as total_net_amount,
    cast(
        dl.base_member + sum(dl.member_net_amount) over (
            partition by dl.channel, dl.device_type
            order by dl.stat_date
            rows between unbounded preceding and current row
        ) as decimal(18, 2)
    ) as history_member_deduction,
    cast(
        dl.base_total + sum(dl.total_net_amount) over (
            partition by dl.channel, dl.device_type
            order by dl.stat_date
            rows between unbounded preceding and current row
        ) as decimal(18, 2)
    ) as total_deduction
from daily as dl
