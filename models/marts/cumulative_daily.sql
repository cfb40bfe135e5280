{{
    config(
        range_column='stat_date',
        unique_key=['stat_date', 'channel', 'device_type'],
        post_hook=["{{ ensure_indexes([['stat_date', 'channel', 'device_type']]) }}"]
    )
}}
{#- The running totals of the cumulative metrics of the registry (history_member_deduction,
    total_deduction: deductions net of refunds): for each local day and slice, `<name>` is the
    total of the metric's amounts since the beginning of data as of the end of the day, and
    `<name>_movement` the day's net change. Incremental: a run over [start, end] starts from
    the stored totals of start - 1 and adds the days' movements, so a new day never rescans
    history. Only when that row is missing (first build, a gap, a metric just added) is the base
    summed from every movement before start. -#}
{%- set r = build_range() %}
{%- set cumulatives = mart_metrics('cumulative_daily') %}
{%- set prev_day = r.start - modules.datetime.timedelta(days=1) %}
{%- set base_from_snapshot = false %}
{%- if is_incremental() and execute %}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
{%- set found = run_query(
    "select count(*) from " ~ this ~ " where stat_date = " ~ date_literal(prev_day)
).columns[0].values()[0] %}
{%- set base_from_snapshot = (found | int) > 0
    and not (cumulatives | map(attribute='name') | reject('in', stored_columns) | list) %}
{%- endif %}

with

grid as (
    {{- slice_grid(r.start, r.end) }}
),

day_movements as (
    select
        metric_facts.stat_date,
        {{ slice_channel('fact_slices', 'metric_facts.channel') }} as channel,
        {{ slice_device('fact_slices', 'metric_facts.device_type') }} as device_type{{ ',' if cumulatives }}
        {%- for metric in cumulatives %}
        {{ fact_aggregate(metric, 'metric_facts') }} as {{ metric.name }}_movement{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_metric_facts_in_window') }} as metric_facts
    {{ slice_rollup_join('fact_slices') }}
    where metric_facts.stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    group by
        metric_facts.stat_date,
        {{ slice_channel('fact_slices', 'metric_facts.channel') }},
        {{ slice_device('fact_slices', 'metric_facts.device_type') }}
),
{%- if base_from_snapshot %}

base as (
    select
        stored_day_before.channel,
        stored_day_before.device_type{{ ',' if cumulatives }}
        {%- for metric in cumulatives %}
        stored_day_before.{{ metric.name }} as {{ metric.name }}_base{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ this }} as stored_day_before
    where stored_day_before.stat_date = {{ date_literal(prev_day) }}
),
{%- else %}

earlier_movements as (
    {{- sliced_metric_rows(cumulatives, none, prev_day) }}
),

base as (
    select
        {{ slice_channel('movement_slices', 'earlier_movements.channel') }} as channel,
        {{ slice_device('movement_slices', 'earlier_movements.device_type') }} as device_type{{ ',' if cumulatives }}
        {%- for metric in cumulatives %}
        {{ fact_aggregate(metric, 'earlier_movements') }} as {{ metric.name }}_base{% if not loop.last %},{% endif %}
        {%- endfor %}
    from earlier_movements
    {{ slice_rollup_join('movement_slices') }}
    group by
        {{ slice_channel('movement_slices', 'earlier_movements.channel') }},
        {{ slice_device('movement_slices', 'earlier_movements.device_type') }}
),
{%- endif %}

daily as (
    select
        grid.stat_date,
        grid.channel,
        grid.device_type{{ ',' if cumulatives }}
        {%- for metric in cumulatives %}
        coalesce(day_movements.{{ metric.name }}_movement, 0) as {{ metric.name }}_movement,
        coalesce(base.{{ metric.name }}_base, 0) as {{ metric.name }}_base{% if not loop.last %},{% endif %}
        {%- endfor %}
    from grid
    left join day_movements
        on
            grid.stat_date = day_movements.stat_date
            and grid.channel = day_movements.channel
            and grid.device_type = day_movements.device_type
    left join base
        on grid.channel = base.channel and grid.device_type = base.device_type
),

final as (
    select
        daily.stat_date,
        {{ as_string('daily.channel', 50) }} as channel,
        {{ as_string('daily.device_type', 20) }} as device_type{{ ',' if cumulatives }}
        {%- for metric in cumulatives %}
        cast(daily.{{ metric.name }}_movement as decimal(18, 2)) as {{ metric.name }}_movement,
        {{ running_total(metric, 'daily') }} as {{ metric.name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from daily
    window running_total as (
        partition by daily.channel, daily.device_type
        order by daily.stat_date
        rows between unbounded preceding and current row
    )
)

select * from final
