{#- The 30 (channel, device_type) slices of the dense grid: each enum value and `all`. -#}
with

channels as (
    select {{ as_string('channel_seed.channel', 50) }} as channel
    from {{ ref('channels') }} as channel_seed
    union all
    select {{ as_string("'all'", 50) }} as channel
),

device_types as (
    select {{ as_string('device_type_seed.device_type', 20) }} as device_type
    from {{ ref('device_types') }} as device_type_seed
    union all
    select {{ as_string("'all'", 20) }} as device_type
)

select
    channels.channel,
    device_types.device_type
from channels
cross join device_types
