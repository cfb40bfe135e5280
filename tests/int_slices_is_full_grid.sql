{#- int_slices is exactly {each seed channel, all} x {each seed device type, all}: no slice
    missing, none extra. Together with rows_per_group (expected_from int_slices) on the marts,
    this is the "30 rows a day" rule that still holds when a seed grows. -#}

with

channel_axis as (
    select ch.channel from {{ ref('channels') }} as ch
    union all
    select 'all' as channel
),

device_axis as (
    select dt.device_type from {{ ref('device_types') }} as dt
    union all
    select 'all' as device_type
),

expected_slices as (
    select
        ca.channel,
        da.device_type
    from channel_axis as ca
    cross join device_axis as da
)

select
    'missing from int_slices' as failure,
    ex.channel,
    ex.device_type
from expected_slices as ex
where
    not exists (
        select 1 as found
        from {{ ref('int_slices') }} as sl
        where sl.channel = ex.channel and sl.device_type = ex.device_type
    )

union all

select
    'not a seed slice' as failure,
    sl.channel,
    sl.device_type
from {{ ref('int_slices') }} as sl
where
    not exists (
        select 1 as found
        from expected_slices as ex
        where ex.channel = sl.channel and ex.device_type = sl.device_type
    )
