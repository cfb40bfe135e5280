{#- On Spark a Parquet table partitioned by `event_date` (dbt_project.yml, spark_partition_by):
    a run replaces only the days of its new events and of the stored events they re-deliver.
    MariaDB/MySQL indexes: (event_type, event_time, ...) finds a range's views and, with
    session_id and event_id, covers the window of next views; (page_view_id, event_type,
    event_time) covers the leave lookups: neither reads the rows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_range',
        unique_key='event_id',
        post_hook=["{{ ensure_indexes([
            'event_id',
            ['event_type', 'event_time', 'session_id', 'event_id'],
            'event_time',
            'session_id',
            ['page_view_id', 'event_type', 'event_time'],
            '_loaded_at',
        ]) }}"]
    )
}}

{#- One row per event_id: the delivery with the earliest created_at wins (NULL last, then the
    first stored). Incremental runs re-rank every raw delivery of the event_ids loaded since
    the last run (strictly after its newest `_loaded_at`: a run with no new rows reads and
    writes nothing), so a late duplicate can never replace the earlier delivery. `_loaded_at`
    is the newest delivery's, the winner's or not, so that the watermark passes every raw row
    already read. -#}

with

{% if is_incremental() %}
{%- set watermark = loaded_watermark(this) %}
changed_events as (
    select distinct raw_events.event_id
    from {{ source('raw', 'event_logs') }} as raw_events
    {%- if watermark %}
    where raw_events._loaded_at > {{ watermark }}
    {%- endif %}
),
{% endif %}

deliveries as (
    select
        raw_events.*,
        row_number() over (
            partition by raw_events.event_id
            order by
                case when raw_events.created_at is null then 1 else 0 end,
                raw_events.created_at,
                raw_events.id
        ) as delivery_rank,
        max(raw_events._loaded_at) over (partition by raw_events.event_id) as newest_loaded_at
    from {{ source('raw', 'event_logs') }} as raw_events
    {% if is_incremental() %}
    -- a join, not IN (subquery): MariaDB then looks the changed ids up by index
    inner join changed_events on raw_events.event_id = changed_events.event_id
    {% endif %}
),

channels as (
    select channel_seed.channel from {{ ref('channels') }} as channel_seed
),

device_types as (
    select device_type_seed.device_type from {{ ref('device_types') }} as device_type_seed
),

first_deliveries as (
    select
        deliveries.*,
        lower(trim(deliveries.channel)) as channel_key,
        lower(trim(deliveries.device_type)) as device_key
    from deliveries
    where deliveries.delivery_rank = 1
)

select
    {{ as_string('first_deliveries.event_id', 64) }} as event_id,
    {{ as_string('lower(trim(first_deliveries.event_type))', 50) }} as event_type,
    {{ as_string("nullif(trim(first_deliveries.user_id), '')", 50) }} as user_id,
    {{ as_string("nullif(trim(first_deliveries.device_id), '')", 100) }} as device_id,
    {{ as_string("nullif(trim(first_deliveries.session_id), '')", 100) }} as session_id,
    {{ as_string('first_deliveries.page_url', 255) }} as page_url,
    {{ as_string('first_deliveries.page_title', 255) }} as page_title,
    {{ as_string("nullif(trim(first_deliveries.order_id), '')", 50) }} as order_id,
    {{ bounded_amount('first_deliveries.amount') }} as amount,
    {{ as_string(json_string_field('first_deliveries.extra_data', 'page_view_id'), 64) }} as page_view_id,
    first_deliveries.extra_data,
    {{ as_string("coalesce(channels.channel, 'other')", 50) }} as channel,
    {{ as_string("coalesce(device_types.device_type, 'other')", 20) }} as device_type,
    {{ as_string('first_deliveries.ip_address', 50) }} as ip_address,
    first_deliveries.event_time,
    first_deliveries.created_at,
    first_deliveries.newest_loaded_at as _loaded_at,
    -- last: Spark stores its partition column last, so every target has one column order;
    -- NULL for an absurd stored time whose local day would overflow (no build range holds it)
    case
        when first_deliveries.event_time between date '0001-01-02' and date '9999-12-30'
            then {{ local_date('first_deliveries.event_time') }}
    end as event_date
from first_deliveries
left join channels on first_deliveries.channel_key = channels.channel
left join device_types on first_deliveries.device_key = device_types.device_type
