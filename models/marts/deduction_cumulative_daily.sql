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
        calendar.stat_date,
        slices.channel,
        slices.device_type
    from {{ ref('int_calendar') }} as calendar
    cross join {{ ref('int_slices') }} as slices
    where calendar.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

day_movements as (
    select
        business_facts.stat_date,
        {{ slice_channel('fact_slices', 'business_facts.channel') }} as channel,
        {{ slice_device('fact_slices', 'business_facts.device_type') }} as device_type,
        sum(case when business_facts.fact = 'member_net' then business_facts.amount else 0 end) as member_net_amount,
        sum(case when business_facts.fact = 'total_net' then business_facts.amount else 0 end) as total_net_amount
    from {{ ref('int_business_facts_in_window') }} as business_facts
    {{ slice_rollup_join('fact_slices') }}
    where
        business_facts.fact in ('member_net', 'total_net')
        and business_facts.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        business_facts.stat_date,
        {{ slice_channel('fact_slices', 'business_facts.channel') }},
        {{ slice_device('fact_slices', 'business_facts.device_type') }}
),
{%- if base_from_snapshot %}

base as (
    select
        stored_day_before.channel,
        stored_day_before.device_type,
        stored_day_before.history_member_deduction as base_member,
        stored_day_before.total_deduction as base_total
    from {{ this }} as stored_day_before
    where stored_day_before.stat_date = {{ date_literal(prev_day) }}
),
{%- else %}

earlier_movements as (
    {{ deduction_movements(ref('stg_deductions'), ref('stg_refunds'), none, prev_day) }}
),

sliced_earlier_movements as (
    {{ with_user_slice('earlier_movements', ref('stg_users')) }}
),

base as (
    select
        {{ slice_channel('movement_slices', 'sliced_earlier_movements.channel') }} as channel,
        {{ slice_device('movement_slices', 'sliced_earlier_movements.device_type') }} as device_type,
        sum(
            case
                when sliced_earlier_movements.service_type = 'member' then sliced_earlier_movements.signed_amount
                else 0
            end
        ) as base_member,
        sum(sliced_earlier_movements.signed_amount) as base_total
    from sliced_earlier_movements
    {{ slice_rollup_join('movement_slices') }}
    group by
        {{ slice_channel('movement_slices', 'sliced_earlier_movements.channel') }},
        {{ slice_device('movement_slices', 'sliced_earlier_movements.device_type') }}
),
{%- endif %}

daily as (
    select
        grid.stat_date,
        grid.channel,
        grid.device_type,
        coalesce(day_movements.member_net_amount, 0) as member_net_amount,
        coalesce(day_movements.total_net_amount, 0) as total_net_amount,
        coalesce(base.base_member, 0) as base_member,
        coalesce(base.base_total, 0) as base_total
    from grid
    left join day_movements
        on
            grid.stat_date = day_movements.stat_date
            and grid.channel = day_movements.channel
            and grid.device_type = day_movements.device_type
    left join base
        on grid.channel = base.channel and grid.device_type = base.device_type
)

select
    daily.stat_date,
    {{ as_string('daily.channel', 50) }} as channel,
    {{ as_string('daily.device_type', 20) }} as device_type,
    cast(daily.member_net_amount as decimal(18, 2)) as member_net_amount,
    cast(daily.total_net_amount as decimal(18, 2)) as total_net_amount,
    cast(daily.base_member + sum(daily.member_net_amount) over running_total as decimal(18, 2))
        as history_member_deduction,
    cast(daily.base_total + sum(daily.total_net_amount) over running_total as decimal(18, 2)) as total_deduction
from daily
window running_total as (
    partition by daily.channel, daily.device_type
    order by daily.stat_date
    rows between unbounded preceding and current row
)
