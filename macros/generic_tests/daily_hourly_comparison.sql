{#- The daily-equals-hourly rule (a day equals its hours), written once: daily_stats against the
    hours of hourly_stats over the local days [start, end], one row per (stat_date, channel,
    device_type, metric) for every registry metric of daily_stats but the ratios (recomputed
    from their parts at each grain, see metric_definitions_hold), with the range of values the
    rule accepts from the day's hours:
      sum         an additive metric: the day equals the sum of its hours;
      distinct    a distinct count: between the largest hourly value and the sum of the hours;
      end_of_day  a cumulative metric: the day's value equals hour 23's.
    Columns: stat_date, channel, device_type, metric, rule_name, daily_value, hourly_low,
    hourly_high (NULL when the slice has no hourly rows), hour_rows. Read by the singular test
    daily_stats_match_hourly_stats (the build range, failing rows) and the monitoring model
    cross_check_results (the monitoring range, every row, kept with history). -#}
{% macro daily_hourly_comparison(start, end) -%}
    {%- set metrics = mart_metrics('daily_stats') | rejectattr('kind', 'equalto', 'ratio') | list %}
    {%- set rules = {'cumulative': 'end_of_day', 'unique_counter': 'distinct'} %}
    with

    hours as (
        select
            hourly.stat_date,
            hourly.channel,
            hourly.device_type,
            {%- for metric in metrics %}
            {%- if metric.kind == 'cumulative' %}
            max(case when hourly.stat_hour = 23 then hourly.{{ metric.name }} end) as {{ metric.name }}_low,
            max(case when hourly.stat_hour = 23 then hourly.{{ metric.name }} end) as {{ metric.name }}_high,
            {%- else %}
            {{ 'max' if metric.kind == 'unique_counter' else 'sum' }}(hourly.{{ metric.name }}) as {{ metric.name }}_low,
            sum(hourly.{{ metric.name }}) as {{ metric.name }}_high,
            {%- endif %}
            {%- endfor %}
            count(*) as hour_rows
        from {{ ref('hourly_stats') }} as hourly
        where hourly.stat_date between {{ date_literal(start) }} and {{ date_literal(end) }}
        group by hourly.stat_date, hourly.channel, hourly.device_type
    ),

    -- each day beside its hours, joined once: each CTE reference is computed again on
    -- MariaDB, so the rows below read this once and unpivot it by metric
    days as (
        select
            daily.stat_date,
            daily.channel,
            daily.device_type,
            {%- for metric in metrics %}
            daily.{{ metric.name }},
            hours.{{ metric.name }}_low,
            hours.{{ metric.name }}_high,
            {%- endfor %}
            coalesce(hours.hour_rows, 0) as hour_rows
        from {{ ref('daily_stats') }} as daily
        left join hours
            on
                daily.stat_date = hours.stat_date
                and daily.channel = hours.channel
                and daily.device_type = hours.device_type
        where daily.stat_date between {{ date_literal(start) }} and {{ date_literal(end) }}
    ),

    rules as (
        {%- for metric in metrics %}
        {%- if not loop.first %}
        union all
        {%- endif %}
        select
            '{{ metric.name }}' as metric,
            '{{ rules.get(metric.kind, 'sum') }}' as rule_name
        {%- endfor %}
    )

    select
        days.stat_date,
        days.channel,
        days.device_type,
        rules.metric,
        rules.rule_name,
        {%- for column in ['', '_low', '_high'] %}
        case rules.metric
            {%- for metric in metrics %}
            when '{{ metric.name }}' then cast(days.{{ metric.name ~ column }} as decimal(18, 2))
            {%- endfor %}
        end as {{ ['daily_value', 'hourly_low', 'hourly_high'][loop.index0] }},
        {%- endfor %}
        days.hour_rows
    from days
    cross join rules
{%- endmacro %}
