{{
    config(
        unique_key=['check_name', 'metric', 'channel', 'device_type', 'stat_date'],
        post_hook=["{{ ensure_indexes([['stat_date', 'flagged']],
            unique=[['check_name', 'metric', 'channel', 'device_type', 'stat_date']],
            int_columns=['baseline_days', 'flagged']) }}"]
    )
}}
{#- Anomaly checks (异常检测, issue 8): one row per (check, metric, channel,
    device_type, stat_date) judged by a monitoring run over its range (macros/monitoring/
    monitoring_range.sql), with the thresholds of monitoring.yml (table monitoring_thresholds,
    written by bizstats.checks). A run replaces the rows it judges, by key (the history of
    other days is kept; not range_column: the build's range_delete_sql would delete up to
    the last built day); the stale check's row is on the local day of the check time.
    - missing / outlier: a daily_stats metric of a slice against its baseline, the mean of
      the previous lookback_days days (day_of_week: of the same weekday only), never of days
      before the first day of data (built as zeros, they are no history);
    - duplicates: the share of raw event deliveries repeating an event_id (raw_duplicate_counts);
    - stale: minutes since the newest raw event, during the configured local hours.
    Days after the freshness watermark's last complete day are `skipped_incomplete`, never
    flagged (macros/monitoring/raw_event_freshness.sql). -#}
{%- set r = monitoring_range() %}
{%- set now = check_time() %}
{%- set freshness = raw_event_freshness(now) %}
{%- set thresholds = monitoring_thresholds_relation() %}
{%- set metric_rows = monitoring_threshold_rows(['missing', 'outlier']) %}
{#- the metrics monitoring.yml names (bizstats.checks allows any published registry metric);
    without thresholds, the first one of daily_stats keeps the query well-formed -#}
{%- set metrics = metric_rows | map(attribute='metric') | unique | list
    or [(mart_metrics('daily_stats') | first).name] %}
{%- set lookback = (metric_rows | map(attribute='lookback_days') | map('int') | list + [0]) | max %}
{%- set first_day = first_data_day() %}
{%- set history_start = r.start - modules.datetime.timedelta(days=lookback) %}
{%- if first_day is not none and first_day > history_start %}
    {#- the days before the first day of data are empty, not low: they are no baseline #}
    {%- set history_start = first_day %}
{%- endif %}
{%- set stale_rows = monitoring_threshold_rows(['stale']) if freshness.newest_event else [] %}
{%- set raw_schema = var('raw_schema') or (target.schema ~ '_raw') %}
{%- set ledger = existing_relation(raw_schema, '_load_ledger') if execute else none %}
{%- set last_complete = freshness.last_complete_day %}
{%- set local_now = now + modules.datetime.timedelta(hours=utc_offset_hours()) %}
{#- a judged day after the last complete one (the stale check is judged at the check time) -#}
{%- set incomplete = "results.check_name <> 'stale' and " ~ (
    "results.stat_date > " ~ date_literal(last_complete) if last_complete else "1 = 1") %}

with

thresholds as (
    {%- if thresholds %}
    select
        stored.check_name,
        stored.metric,
        stored.channel,
        stored.device_type,
        stored.lookback_days,
        stored.day_of_week,
        stored.floor_value,
        stored.high_ratio,
        stored.low_ratio,
        stored.max_value,
        stored.severity,
        stored.threshold_text
    from {{ thresholds }} as stored
    {%- else %}
    -- no monitoring run has written its thresholds yet: nothing to judge
    select
        'none' as check_name,
        'none' as metric,
        'none' as channel,
        'none' as device_type,
        0 as lookback_days,
        0 as day_of_week,
        0 as floor_value,
        0 as high_ratio,
        0 as low_ratio,
        0 as max_value,
        'none' as severity,
        'none' as threshold_text
    from (select 1 as one) as no_thresholds
    where no_thresholds.one = 0
    {%- endif %}
),

metric_values as (
    {%- for metric in metrics %}
    select
        daily.stat_date,
        daily.channel,
        daily.device_type,
        {{ as_string("'" ~ metric ~ "'", 50) }} as metric,
        cast(daily.{{ metric }} as decimal(18, 2)) as metric_value
    from {{ ref('daily_stats') }} as daily
    where daily.stat_date between {{ date_literal(history_start) }} and {{ date_literal(r.end) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

baselines as (
    select
        thresholds.check_name,
        thresholds.metric,
        thresholds.channel,
        thresholds.device_type,
        today.stat_date,
        today.metric_value as actual,
        cast(avg(history.metric_value) as decimal(18, 4)) as baseline,
        count(history.metric_value) as baseline_days
    from thresholds
    inner join metric_values as today
        on
            thresholds.metric = today.metric
            and thresholds.channel = today.channel
            and thresholds.device_type = today.device_type
    left join metric_values as history
        on
            today.metric = history.metric
            and today.channel = history.channel
            and today.device_type = history.device_type
            and {{ days_between('history.stat_date', 'today.stat_date') }} between 1 and thresholds.lookback_days
            and (thresholds.day_of_week = 0 or mod({{ days_between('history.stat_date', 'today.stat_date') }}, 7) = 0)
    where
        thresholds.check_name in ('missing', 'outlier')
        and today.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        thresholds.check_name,
        thresholds.metric,
        thresholds.channel,
        thresholds.device_type,
        today.stat_date,
        today.metric_value
),

metric_results as (
    select
        baselines.check_name,
        baselines.metric,
        baselines.channel,
        baselines.device_type,
        baselines.stat_date,
        baselines.actual,
        baselines.baseline,
        baselines.baseline_days,
        thresholds.threshold_text,
        thresholds.severity,
        case when baselines.baseline > 0 then baselines.actual / baselines.baseline end as ratio,
        case
            when baselines.baseline_days = 0 then 0
            when baselines.check_name = 'missing'
                then
                    case
                        when baselines.actual = 0 and baselines.baseline >= thresholds.floor_value then 1
                        else 0
                    end
            when
                baselines.baseline >= thresholds.floor_value
                and (
                    baselines.actual > thresholds.high_ratio * baselines.baseline
                    or baselines.actual < thresholds.low_ratio * baselines.baseline
                )
                then 1
            else 0
        end as exceeded
    from baselines
    inner join thresholds
        on
            baselines.check_name = thresholds.check_name
            and baselines.metric = thresholds.metric
            and baselines.channel = thresholds.channel
            and baselines.device_type = thresholds.device_type
),

duplicate_counts as (
    {{ raw_duplicate_counts(source('raw', 'event_logs'), ledger, r.start, r.end) }}
),

duplicate_results as (
    select
        thresholds.check_name,
        thresholds.metric,
        thresholds.channel,
        thresholds.device_type,
        duplicate_counts.stat_date,
        thresholds.threshold_text,
        thresholds.severity,
        duplicate_counts.duplicates / duplicate_counts.deliveries as actual,
        case when duplicate_counts.duplicates / duplicate_counts.deliveries > thresholds.max_value then 1 else 0 end
            as exceeded
    from duplicate_counts
    cross join thresholds
    where thresholds.check_name = 'duplicates' and duplicate_counts.deliveries > 0
),

results as (
    select
        metric_results.check_name,
        metric_results.metric,
        metric_results.channel,
        metric_results.device_type,
        metric_results.stat_date,
        metric_results.actual,
        metric_results.baseline,
        metric_results.baseline_days,
        metric_results.ratio,
        metric_results.threshold_text,
        metric_results.severity,
        metric_results.exceeded,
        case when metric_results.baseline_days = 0 then 'no_baseline' else 'judged' end as status
    from metric_results
    union all
    select
        duplicate_results.check_name,
        duplicate_results.metric,
        duplicate_results.channel,
        duplicate_results.device_type,
        duplicate_results.stat_date,
        duplicate_results.actual,
        null as baseline,
        0 as baseline_days,
        null as ratio,
        duplicate_results.threshold_text,
        duplicate_results.severity,
        duplicate_results.exceeded,
        'judged' as status
    from duplicate_results
    {%- for stale in stale_rows %}
    {%- set minutes = (now - freshness.newest_event).total_seconds() / 60 %}
    {%- set active = stale.active_from_hour <= local_now.hour <= stale.active_to_hour %}
    union all
    -- stale: the newest event at the check time ({{ now }} UTC), on the local day of the check
    select
        '{{ stale.check_name }}' as check_name,
        '{{ stale.metric }}' as metric,
        '{{ stale.channel }}' as channel,
        '{{ stale.device_type }}' as device_type,
        {{ date_literal(local_now.date()) }} as stat_date,
        {{ '%.4f' | format(minutes) }} as actual,
        null as baseline,
        0 as baseline_days,
        null as ratio,
        '{{ stale.threshold_text }}' as threshold_text,
        '{{ stale.severity }}' as severity,
        {{ 1 if active and minutes > stale.max_value else 0 }} as exceeded,
        '{{ "judged" if active else "outside_active_hours" }}' as status
    {%- endfor %}
)

select
    {{ as_string('results.check_name', 30) }} as check_name,
    {{ as_string('results.metric', 50) }} as metric,
    {{ as_string('results.channel', 50) }} as channel,
    {{ as_string('results.device_type', 20) }} as device_type,
    results.stat_date,
    {{ as_string("case when " ~ incomplete ~ " then 'skipped_incomplete' else results.status end", 30) }} as status,
    cast(results.actual as decimal(18, 4)) as actual,
    cast(results.baseline as decimal(18, 4)) as baseline,
    {{ as_int('results.baseline_days') }} as baseline_days,
    cast(results.ratio as decimal(18, 4)) as ratio,
    {{ as_string('results.threshold_text', 200) }} as threshold_text,
    {{ as_int("case when " ~ incomplete ~ " then 0 else results.exceeded end") }} as flagged,
    {{ as_string('results.severity', 20) }} as severity,
    {{ datetime_value(now) }} as checked_at
from results
