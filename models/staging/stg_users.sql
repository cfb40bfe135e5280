{{
    config(
        post_hook=["{{ ensure_indexes(['user_id']) }}"]
    )
}}
with

users as (
    {{ latest_version('users', 'user_id') }}
),

channels as (
    select channel_seed.channel from {{ ref('channels') }} as channel_seed
),

device_types as (
    select device_type_seed.device_type from {{ ref('device_types') }} as device_type_seed
)

select
    {{ as_string("nullif(trim(users.user_id), '')", 50) }} as user_id,
    users.registered_at,
    {{ as_string("coalesce(channels.channel, 'other')", 50) }} as channel,
    {{ as_string("coalesce(device_types.device_type, 'other')", 20) }} as device_type
from users
left join channels on lower(trim(users.channel)) = channels.channel
left join device_types on lower(trim(users.device_type)) = device_types.device_type
