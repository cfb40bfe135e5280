{{
    config(
        unique_key=['monitor_name', 'checked_at'],
        post_hook=["{{ ensure_indexes([['checked_at']], unique=[['monitor_name', 'checked_at']],
            int_columns=['flagged']) }}"]
    )
}}
{#- Data-quality monitors (数据质量监控, issue 8): one row per monitor and monitoring
    run (every run is kept: its checked_at is part of the key), thresholds from monitoring.yml
    (table monitoring_thresholds).
    - collection_success_rate (数据上报成功率): per local day of the range, the events the
      collector delivered (stored, duplicates of a stored event_id, quarantined) / the events
      it received (rejected events and refused requests count against it), from the raw table
      collect_daily_tally (bizstats/web/collect/tally.py); judged on the range's worst day,
      flagged below min_rate (the note names the day, its refusals by reason and the days
      that received nothing); `not_available` when the collector received nothing in the range;
    - job_duration: the latest finished run of table job_runs (models schema), in minutes;
      `not_available` while that table does not exist or holds no finished run;
    - data_error_rate: failing rows / checked rows of cross_check_results over the range;
    - data_delay: minutes from the newest raw event `_loaded_at` to the check time. -#}
{%- set r = monitoring_range() %}
{%- set now = check_time() %}
{%- set freshness = raw_event_freshness(now) %}
{%- set job_runs = existing_relation(target.schema, 'job_runs') if execute else none %}
{%- set latest_job = run_query(
    "select run_id, flow, duration_seconds from " ~ job_runs
    ~ " where finished_at is not null and duration_seconds is not null order by finished_at desc limit 1"
).rows if job_runs else [] %}
{%- set collected = collection_tally(r.start, r.end) %}
{%- set lowest = namespace(day=none) %}
{%- for day in collected %}
    {%- if lowest.day is none or day.delivered * lowest.day.received < lowest.day.delivered * day.received %}
        {%- set lowest.day = day %}
    {%- endif %}
{%- endfor %}
{%- set worst = lowest.day %}
{%- set quiet_days = (r.end - r.start).days + 1 - (collected | length) %}
{%- set monitors = [] %}
{%- for threshold in monitoring_threshold_rows(
    ['collection_success_rate', 'job_duration', 'data_error_rate', 'data_delay']) %}
    {%- set item = {'threshold': threshold, 'actual': 'null', 'flagged': '0'} %}
    {%- if threshold.check_name == 'collection_success_rate' and worst %}
        {%- set refused = worst.refused.items() | sort | map('join', ' ') | join(', ') %}
        {%- do item.update({
            'actual': '%.4f' | format(worst.delivered / worst.received),
            'flagged': '1' if worst.delivered < threshold.floor_value * worst.received else '0',
            'status': "'judged'",
            'note': (worst.day ~ ': ' ~ worst.delivered ~ ' of ' ~ worst.received ~ ' events delivered'
                ~ ('; refused: ' ~ refused if refused else '') ~ ' (worst of ' ~ (collected | length)
                ~ ' days with events' ~ ('; ' ~ quiet_days ~ ' received none' if quiet_days else '')
                ~ ')')[:200]}) %}
    {%- elif threshold.check_name == 'collection_success_rate' %}
        {%- do item.update({'status': "'not_available'",
            'note': 'the collector received no event in ' ~ r.start ~ ' .. ' ~ r.end}) %}
    {%- elif threshold.check_name == 'job_duration' and latest_job %}
        {%- set minutes = latest_job[0][2] / 60 %}
        {%- do item.update({
            'actual': '%.4f' | format(minutes), 'flagged': '1' if minutes > threshold.max_value else '0',
            'status': "'judged'", 'note': 'run ' ~ latest_job[0][0] ~ ' of ' ~ latest_job[0][1]}) %}
    {%- elif threshold.check_name == 'job_duration' %}
        {%- do item.update({'status': "'not_available'",
            'note': ('no finished run in ' if job_runs else 'no table ') ~ target.schema ~ '.job_runs'}) %}
    {%- elif threshold.check_name == 'data_error_rate' %}
        {%- do item.update({
            'actual': 'case when cross_checks.checked_rows > 0 then cross_checks.failed_rows / cross_checks.checked_rows end',
            'flagged': 'case when cross_checks.failed_rows > ' ~ threshold.max_value ~ ' * cross_checks.checked_rows then 1 else 0 end',
            'status': "case when cross_checks.checked_rows > 0 then 'judged' else 'no_data' end",
            'note': 'cross_check_results ' ~ r.start ~ ' .. ' ~ r.end}) %}
    {%- elif freshness.newest_load %}
        {%- set minutes = (now - freshness.newest_load).total_seconds() / 60 %}
        {%- do item.update({
            'actual': '%.4f' | format(minutes), 'flagged': '1' if minutes > threshold.max_value else '0',
            'status': "'judged'", 'note': 'newest raw event loaded at ' ~ freshness.newest_load ~ ' UTC'}) %}
    {%- else %}
        {%- do item.update({'status': "'not_available'", 'note': 'no raw events loaded'}) %}
    {%- endif %}
    {%- do monitors.append(item) %}
{%- endfor %}

with

cross_checks as (
    select
        count(*) as checked_rows,
        coalesce(sum(1 - checks.passed), 0) as failed_rows
    from {{ ref('cross_check_results') }} as checks
    where checks.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
),

monitors as (
    {%- for item in monitors %}
    select
        '{{ item.threshold.check_name }}' as monitor_name,
        {{ item.status }} as status,
        {{ item.actual }} as actual,
        '{{ item.threshold.threshold_text }}' as threshold_text,
        {{ item.flagged }} as flagged,
        '{{ item.threshold.severity }}' as severity,
        '{{ item.note }}' as note
    from cross_checks
    union all
    {%- endfor %}
    -- the typed shape of the rows (no row: checked_rows is never negative)
    select
        'none' as monitor_name,
        'none' as status,
        null as actual,
        'none' as threshold_text,
        0 as flagged,
        'none' as severity,
        'none' as note
    from cross_checks
    where cross_checks.checked_rows < 0
)

select
    {{ as_string('monitors.monitor_name', 30) }} as monitor_name,
    {{ as_string('monitors.status', 30) }} as status,
    cast(monitors.actual as decimal(18, 4)) as actual,
    {{ as_string('monitors.threshold_text', 200) }} as threshold_text,
    {{ as_int('monitors.flagged') }} as flagged,
    {{ as_string('monitors.severity', 20) }} as severity,
    {{ as_string('monitors.note', 200) }} as note,
    {{ date_literal(r.start) }} as range_start,
    {{ date_literal(r.end) }} as range_end,
    {{ datetime_value(now) }} as checked_at
from monitors
