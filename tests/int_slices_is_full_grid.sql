{#- int_slices is exactly {each seed channel, all} x {each seed device type, all}: no slice
    missing, none extra. Together with rows_per_group (expected_from int_slices) on the marts,
    this is the "30 rows a day" rule that still holds when a seed grows. -#}

with

channel_axis as (
    select channel_seed.channel from {{ ref('channels') }} as channel_seed
    union all
    select 'all' as channel
),

device_axis as (
    select device_type_seed.device_type from {{ ref('device_types') }} as device_type_seed
    union all
    select 'all' as device_type
),

expected_slices as (
    select
        channel_axis.channel,
        device_axis.device_type
    from channel_axis
    cross join device_axis
)

select
    'missing from int_slices' as failure,
    expected_slices.channel,
    expected_slices.device_type
from expected_slices
where
    not exists (
        select 1 as matching_row
        from {{ ref('int_slices') }} as slices
        where slices.channel = expected_slices.channel and slices.device_type = expected_slices.device_type
    )

union all

select
    'not a seed slice' as failure,
    slices.channel,
    slices.device_type
from {{ ref('int_slices') }} as slices
where
    not exists (
        select 1 as matching_row
        from expected_slices
        where expected_slices.channel = slices.channel and expected_slices.device_type = slices.device_type
    )
