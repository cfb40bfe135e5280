{#- The metric columns of one grain — the shape every metric mart shares.

    Returns one row per row of `grid` (the mart's dense grid: every key of the grain, with any
    other columns the mart carries along) with every grid column, then one column per metric of
    `metrics` (registry metric dicts, macros/metrics/mart_metrics.sql), computed over the rows
    of the grain the way its kind says:
      counter, count, first_time   rows counted          sum, cumulative   amounts summed
      unique_counter               distinct values counted over the grain's own rows
      ratio                        from its parts at this grain (ratio_sql), never summed
    A cumulative metric comes as `<name>_movement`, its net movement over the grain's rows: the
    mart adds the running total (cumulative_daily). Zeros where nothing happened.

    The grain is `grain_columns`, columns of the grid, of `page_views` and of `metric_facts`
    (['stat_date'], ['stat_date', 'stat_hour'], ['period_start'], ['stat_date', 'user_type']).
    With `by_slice` the grid is also keyed by channel and device_type, and each row counts in its
    four slices (macros/metrics/slice_rollup_join.sql). `page_views`: int_page_views rows (metrics whose
    source is page_views); `metric_facts`: int_metric_facts_in_window rows (every other metric);
    both names of relations (CTEs) of the caller. -#}
{% macro grain_metrics(grid, grain_columns, page_views, metric_facts, metrics, by_slice=true) -%}
    {%- set join_columns = grain_columns + (['channel', 'device_type'] if by_slice else []) -%}
    {%- set needed = [] -%}
    {%- for metric in metrics -%}
        {%- for part in ([metric_by_name(metric.numerator), metric_by_name(metric.denominator)]
            if metric.kind == 'ratio' else [metric]) if part.name not in needed | map(attribute='name') | list -%}
            {%- do needed.append(part) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set traffic = needed | selectattr('source', 'equalto', 'page_views') | list -%}
    {%- set business = needed | rejectattr('source', 'equalto', 'page_views') | list -%}
    {%- set traffic_names = traffic | map(attribute='name') | list -%}
    {%- set part = {} -%}
    {%- for metric in needed -%}
        {%- do part.update({metric.name: 'coalesce(' ~ ('traffic' if metric.name in traffic_names else 'business')
            ~ '.' ~ metric.name ~ ', 0)'}) -%}
    {%- endfor -%}
    select
        grid_rows.*
        {%- for metric in metrics %},
        {%- if metric.kind == 'ratio' %}
        {{ metric_cast(metric, ratio_sql(metric, part[metric.numerator], part[metric.denominator])) }}
            as {{ metric.name }}
        {%- elif metric.kind == 'cumulative' %}
        cast({{ part[metric.name] }} as decimal(18, 2)) as {{ metric.name }}_movement
        {%- else %}
        {{ metric_cast(metric, part[metric.name]) }} as {{ metric.name }}
        {%- endif %}
        {%- endfor %}
    from {{ grid }} as grid_rows
    {%- if traffic %}
    left join (
        select
            {%- for key, name in grain_keys('grain_views', grain_columns, 'view_slices' if by_slice else none) %}
            {{ key }} as {{ name }},
            {%- endfor %}
            {%- for metric in traffic %}
            {{ traffic_aggregate(metric, 'grain_views') }} as {{ metric.name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ page_views }} as grain_views
        {%- if by_slice %}
        {{ slice_rollup_join('view_slices') }}
        {%- endif %}
        group by
            {%- for key, name in grain_keys('grain_views', grain_columns, 'view_slices' if by_slice else none) %}
            {{ key }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as traffic
        on
        {%- for col in join_columns %}
            {% if not loop.first %}and {% endif %}grid_rows.{{ col }} = traffic.{{ col }}
        {%- endfor %}
    {%- endif %}
    {%- if business %}
    left join (
        select
            {%- for key, name in grain_keys('grain_facts', grain_columns, 'fact_slices' if by_slice else none) %}
            {{ key }} as {{ name }},
            {%- endfor %}
            {%- for metric in business %}
            {{ fact_aggregate(metric, 'grain_facts') }} as {{ metric.name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ metric_facts }} as grain_facts
        {%- if by_slice %}
        {{ slice_rollup_join('fact_slices') }}
        {%- endif %}
        group by
            {%- for key, name in grain_keys('grain_facts', grain_columns, 'fact_slices' if by_slice else none) %}
            {{ key }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as business
        on
        {%- for col in join_columns %}
            {% if not loop.first %}and {% endif %}grid_rows.{{ col }} = business.{{ col }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
