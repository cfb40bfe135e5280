{#- The 30 (channel, device_type) slices of the dense grid: each enum value and `all`. -#}
with

channels as (
    select {{ as_string('ch.channel', 50) }} as channel from {{ ref('channels') }} as ch
    union all
    select {{ as_string("'all'", 50) }} as channel
),

device_types as (
    select {{ as_string('dt.device_type', 20) }} as device_type from {{ ref('device_types') }} as dt
    union all
    select {{ as_string("'all'", 20) }} as device_type
)

select
    c.channel,
    d.device_type
from channels as c
cross join device_types as d
