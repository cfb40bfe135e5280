{#- Generic test on a mart keyed by (stat_date, channel, device_type), days of the build range:
    every metric of an `all` row against its slices — for each (stat_date, channel) the device
    rows, for each (stat_date, device_type) the channel rows. The metrics are the mart's in
    the registry (`metrics_of`): an additive one (counter, count, sum, first_time) and a
    cumulative one (each row of its source belongs to one slice) equal the sum of the slices;
    a distinct count (unique_counter) lies between their largest value and their sum (a value
    seen in two slices counts once); a ratio is recomputed from its parts, never summed, and
    is checked row by row (metrics_match_parts). One failing row per (row, metric). -#}
{% test slices_add_up(model, metrics_of) %}
    {%- set r = build_range() %}
    {%- set checked = mart_metrics(metrics_of) | rejectattr('kind', 'equalto', 'ratio') | list %}
    with

    built as (
        select *
        from {{ model }}
        where stat_date between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
    ),

    parts as (
        {%- for summed_over, part_column, kept_column in [
            ('devices', 'device_type', 'channel'), ('channels', 'channel', 'device_type')] %}
        select
            '{{ summed_over }}' as summed_over,
            stat_date,
            {{ kept_column }} as kept_value,
            {%- for metric in checked %}
            max({{ metric.name }}) as {{ metric.name }}_max,
            sum({{ metric.name }}) as {{ metric.name }}_sum,
            {%- endfor %}
            count(*) as n_parts
        from built
        where {{ part_column }} <> 'all'
        group by stat_date, {{ kept_column }}
        {%- if loop.first %}

        union all
        {%- endif %}
        {%- endfor %}
    ),

    -- the `all` rows beside their parts, joined once: each CTE reference is computed again on
    -- MariaDB, so the checks below read this once and unpivot it by metric
    compared as (
        select
            parts.*,
            {%- for metric in checked %}
            built.{{ metric.name }} as {{ metric.name }}_all,
            {%- endfor %}
            built.channel as all_channel,
            built.device_type as all_device_type
        from parts
        inner join built
            on
                parts.stat_date = built.stat_date
                and (
                    (parts.summed_over = 'devices' and built.device_type = 'all' and built.channel = parts.kept_value)
                    or (parts.summed_over = 'channels' and built.channel = 'all' and built.device_type = parts.kept_value)
                )
    ),

    checks as (
        {%- for metric in checked %}
        {%- if not loop.first %}
        union all
        {%- endif %}
        select '{{ metric.name }}' as metric
        {%- else %}
        select 'none' as metric from built where 1 = 0
        {%- endfor %}
    ),

    check_values as (
        select
            checks.metric,
            compared.summed_over,
            compared.stat_date,
            compared.all_channel as channel,
            compared.all_device_type as device_type,
            case checks.metric
                {%- for metric in checked %}
                when '{{ metric.name }}' then cast(compared.{{ metric.name }}_all as decimal(18, 2))
                {%- endfor %}
            end as all_value,
            case checks.metric
                {%- for metric in checked %}
                when '{{ metric.name }}' then cast(compared.{{ metric.name ~ ('_max' if metric.kind == 'unique_counter' else '_sum') }} as decimal(18, 2))
                {%- endfor %}
            end as parts_low,
            case checks.metric
                {%- for metric in checked %}
                when '{{ metric.name }}' then cast(compared.{{ metric.name }}_sum as decimal(18, 2))
                {%- endfor %}
            end as parts_high
        from compared
        cross join checks
    )

    select *
    from check_values
    where check_values.all_value < check_values.parts_low or check_values.all_value > check_values.parts_high
{% endtest %}
