with

users as (
    {{ latest_version('users', 'user_id') }}
),

channels as (
    select ch.channel from {{ ref('channels') }} as ch
),

device_types as (
    select dt.device_type from {{ ref('device_types') }} as dt
)

select
    {{ as_string("nullif(trim(u.user_id), '')", 50) }} as user_id,
    u.registered_at,
    {{ as_string("coalesce(ch.channel, 'other')", 50) }} as channel,
    {{ as_string("coalesce(dt.device_type, 'other')", 20) }} as device_type
from users as u
left join channels as ch on lower(trim(u.channel)) = ch.channel
left join device_types as dt on lower(trim(u.device_type)) = dt.device_type
