{#- A query of the raw event deliveries per local day of [start, end] (days with none have no
    row): stat_date, deliveries, duplicates (deliveries repeating an event_id). What each
    target can see differs:
    - DuckDB keeps every delivery in raw event_logs: counted exactly, per local day of
      event_time (deliveries - distinct event_ids);
    - MySQL/MariaDB keep one row per event_id (unique key), so the repeats are only counted
      by the loader, per file, in the load ledger (rows_loaded, duplicates). A load's counts
      are shared out over the local days of the rows it stored, in proportion to them: exact
      for a file holding one day, an estimate for a file spanning days; a file whose every
      row repeated an event already stored adds nothing.
    `ledger` is the load ledger relation (<raw>._load_ledger), none when absent. -#}
{% macro raw_duplicate_counts(raw_events, ledger, start, end) -%}
    {{ return(adapter.dispatch('raw_duplicate_counts', 'bizstats')(raw_events, ledger, start, end)) }}
{%- endmacro %}

{% macro default__raw_duplicate_counts(raw_events, ledger, start, end) -%}
    select
        {{ local_date('events.event_time') }} as stat_date,
        count(*) as deliveries,
        count(*) - count(distinct events.event_id) as duplicates
    from {{ raw_events }} as events
    where {{ local_days_between('events.event_time', start, end) }}
    group by {{ local_date('events.event_time') }}
{%- endmacro %}

{% macro mysql__raw_duplicate_counts(raw_events, ledger, start, end) -%}
    {%- if not ledger %}
    select
        cast(null as date) as stat_date,
        0 as deliveries,
        0 as duplicates
    from (select 1 as one) as no_ledger
    where no_ledger.one = 0
    {%- else %}
    select
        load_days.stat_date,
        sum(loads.rows_loaded * load_days.stored_rows / load_totals.stored_rows) as deliveries,
        sum(loads.duplicates * load_days.stored_rows / load_totals.stored_rows) as duplicates
    from (
        select
            events._loaded_at,
            {{ local_date('events.event_time') }} as stat_date,
            count(*) as stored_rows
        from {{ raw_events }} as events
        where {{ local_days_between('events.event_time', start, end) }}
        group by events._loaded_at, {{ local_date('events.event_time') }}
    ) as load_days
    inner join (
        select
            ledger._loaded_at,
            sum(ledger.rows_loaded) as rows_loaded,
            sum(ledger.duplicates) as duplicates
        from {{ ledger }} as ledger
        where ledger.source_table = 'event_logs' and ledger.outcome = 'committed'
        group by ledger._loaded_at
    ) as loads
        on load_days._loaded_at = loads._loaded_at
    inner join (
        select
            events._loaded_at,
            count(*) as stored_rows
        from {{ raw_events }} as events
        inner join (
            select distinct range_events._loaded_at
            from {{ raw_events }} as range_events
            where {{ local_days_between('range_events.event_time', start, end) }}
        ) as range_loads
            on events._loaded_at = range_loads._loaded_at
        group by events._loaded_at
    ) as load_totals
        on load_days._loaded_at = load_totals._loaded_at
    group by load_days.stat_date
    {%- endif %}
{%- endmacro %}

{% macro mariadb__raw_duplicate_counts(raw_events, ledger, start, end) -%}
    {{ mysql__raw_duplicate_counts(raw_events, ledger, start, end) }}
{%- endmacro %}
