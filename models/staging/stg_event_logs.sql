{{
    config(
        materialized='incremental',
        incremental_strategy='replace_range',
        unique_key='event_id',
        post_hook=["{{ ensure_indexes(['event_id', ['event_type', 'event_time'], 'session_id', 'page_view_id', '_loaded_at']) }}"]
    )
}}

{#- One row per event_id: the delivery with the earliest created_at wins (NULL last, then the
    first stored). Incremental runs re-rank every raw delivery of the event_ids loaded since
    the last run, so a late duplicate can never replace the earlier delivery. -#}

with

{% if is_incremental() %}
changed_events as (
    select distinct src.event_id
    from {{ source('raw', 'event_logs') }} as src
    -- coalesce: after a build on empty raw tables the table is empty and max() is NULL
    where src._loaded_at >= (
        select coalesce(max(cur._loaded_at), {{ utc_start_of(modules.datetime.date(1900, 1, 1)) }})
        from {{ this }} as cur
    )
),
{% endif %}

deliveries as (
    select
        src.*,
        row_number() over (
            partition by src.event_id
            order by
                case when src.created_at is null then 1 else 0 end,
                src.created_at,
                src.id
        ) as delivery_rank
    from {{ source('raw', 'event_logs') }} as src
    {% if is_incremental() %}
    -- a join, not IN (subquery): MariaDB then looks the changed ids up by index
    inner join changed_events as ce on src.event_id = ce.event_id
    {% endif %}
),

channels as (
    select ch.channel from {{ ref('channels') }} as ch
),

device_types as (
    select dt.device_type from {{ ref('device_types') }} as dt
),

first_delivery as (
    select
        d.*,
        lower(trim(d.channel)) as channel_key,
        lower(trim(d.device_type)) as device_key
    from deliveries as d
    where d.delivery_rank = 1
)

select
    {{ as_string('fd.event_id', 64) }} as event_id,
    {{ as_string('lower(trim(fd.event_type))', 50) }} as event_type,
    {{ as_string("nullif(trim(fd.user_id), '')", 50) }} as user_id,
    {{ as_string("nullif(trim(fd.device_id), '')", 100) }} as device_id,
    {{ as_string("nullif(trim(fd.session_id), '')", 100) }} as session_id,
    {{ as_string('fd.page_url', 255) }} as page_url,
    {{ as_string('fd.page_title', 255) }} as page_title,
    {{ as_string("nullif(trim(fd.order_id), '')", 50) }} as order_id,
    cast(fd.amount as decimal(18, 2)) as amount,
    {{ as_string(json_string_field('fd.extra_data', 'page_view_id'), 64) }} as page_view_id,
    {{ as_string("coalesce(ch.channel, 'other')", 50) }} as channel,
    {{ as_string("coalesce(dt.device_type, 'other')", 20) }} as device_type,
    {{ as_string('fd.ip_address', 50) }} as ip_address,
    fd.event_time,
    fd.created_at,
    fd._loaded_at
from first_delivery as fd
left join channels as ch on fd.channel_key = ch.channel
left join device_types as dt on fd.device_key = dt.device_type
