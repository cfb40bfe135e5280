{#- Generic test on weekly_stats / monthly_stats (`period`: 'week' or 'month') against
    daily_stats, for every period that overlaps the build range and every slice:
      - as_of_date / days_covered are the last day and the number of days of the period up
        to the end of the build range (int_calendar);
      - the mart's registry metrics (mart_metrics) by kind: an additive one equals the sum of
        daily_stats over the period's days up to as_of_date (checked when daily_stats holds
        all those days: a first build that starts mid-period has not built the earlier days);
        a distinct count is recomputed, never summed: at least each day's, at most their sum;
        a cumulative one equals the daily value at as_of_date; a ratio is recomputed from its
        parts (metric_definitions_hold), not checked here.
    Days are mapped to their period through int_calendar. One failing row per (row, check). -#}
{% test period_matches_daily(model, period) %}
    {%- set r = build_range() %}
    {%- set period_start = period ~ '_start' %}
    {%- set metrics = mart_metrics(period ~ 'ly_stats') %}
    {%- set from_days = metrics | selectattr('additive') | list
        + metrics | selectattr('kind', 'equalto', 'unique_counter') | list %}
    {%- set at_as_of = metrics | selectattr('kind', 'equalto', 'cumulative') | list %}
    with

    range_periods as (
        select *
        from {{ model }}
        where as_of_date >= {{ date_literal(r.start) }} and {{ period_start }} <= {{ date_literal(r.end) }}
    ),

    calendar_periods as (
        select
            calendar.{{ period_start }} as period_start,
            count(*) as n_days,
            max(calendar.stat_date) as last_day
        from {{ ref('int_calendar') }} as calendar
        where calendar.stat_date <= {{ date_literal(r.end) }}
        group by calendar.{{ period_start }}
    ),

    daily_values as (
        select
            range_periods.{{ period_start }} as period_start,
            range_periods.channel,
            range_periods.device_type,
            count(*) as days_found,
            {%- for metric in from_days %}
            max(daily_rows.{{ metric.name }}) as {{ metric.name }}_max,
            sum(daily_rows.{{ metric.name }}) as {{ metric.name }}_sum,
            {%- endfor %}
            {%- for metric in at_as_of %}
            max(case when calendar.stat_date = range_periods.as_of_date then daily_rows.{{ metric.name }} end)
                as {{ metric.name }}_at_as_of,
            {%- endfor %}
            max(case when calendar.stat_date = range_periods.as_of_date then 1 else 0 end) as has_as_of_day
        from range_periods
        inner join {{ ref('int_calendar') }} as calendar
            on
                range_periods.{{ period_start }} = calendar.{{ period_start }}
                and range_periods.as_of_date >= calendar.stat_date
        inner join {{ ref('daily_stats') }} as daily_rows
            on
                calendar.stat_date = daily_rows.stat_date
                and range_periods.channel = daily_rows.channel
                and range_periods.device_type = daily_rows.device_type
        group by range_periods.{{ period_start }}, range_periods.channel, range_periods.device_type
    )

    select
        'as_of_date / days_covered' as failed_check,
        range_periods.{{ period_start }} as period_start,
        range_periods.channel,
        range_periods.device_type,
        cast(range_periods.days_covered as decimal(18, 2)) as period_value,
        cast(calendar_periods.n_days as decimal(18, 2)) as daily_value
    from range_periods
    left join calendar_periods on range_periods.{{ period_start }} = calendar_periods.period_start
    where
        calendar_periods.period_start is null
        or range_periods.days_covered <> calendar_periods.n_days
        or range_periods.as_of_date <> calendar_periods.last_day

    {%- for metric in from_days + at_as_of %}

    union all

    select
        '{{ metric.name }}' as failed_check,
        range_periods.{{ period_start }} as period_start,
        range_periods.channel,
        range_periods.device_type,
        cast(range_periods.{{ metric.name }} as decimal(18, 2)) as period_value,
        cast(daily_values.{{ metric.name ~ ('_at_as_of' if metric.kind == 'cumulative' else '_sum') }}
            as decimal(18, 2)) as daily_value
    from range_periods
    left join daily_values
        on
            range_periods.{{ period_start }} = daily_values.period_start
            and range_periods.channel = daily_values.channel
            and range_periods.device_type = daily_values.device_type
    where
        {%- if metric.kind == 'cumulative' %}
        daily_values.has_as_of_day is null
        or daily_values.has_as_of_day = 0
        or range_periods.{{ metric.name }} <> daily_values.{{ metric.name }}_at_as_of
        {%- elif metric.kind == 'unique_counter' %}
        range_periods.{{ metric.name }} < daily_values.{{ metric.name }}_max
        or (
            daily_values.days_found = range_periods.days_covered
            and range_periods.{{ metric.name }} > daily_values.{{ metric.name }}_sum
        )
        {%- else %}
        daily_values.days_found = range_periods.days_covered
        and range_periods.{{ metric.name }} <> daily_values.{{ metric.name }}_sum
        {%- endif %}
    {%- endfor %}
{% endtest %}
