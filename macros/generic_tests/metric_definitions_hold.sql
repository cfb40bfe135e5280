{#- Generic test, row by row over a mart (`metrics_of`: its name in the registry): what the
    definitions of the non-additive kinds guarantee in any row, at any grain —
      - a ratio equals ratio_sql of its parts when both are columns of the mart (recomputed
        from the parts of the row, never an average), and is 0 when its denominator, a column
        of the mart, is 0;
      - a distinct count (unique_counter) is at most the count of the rows it looks at: a
        counter or count of the mart over the same source, filter and time (uv <= pv).
    Limit it to the rows a run rewrote with a `where` config. One failing row per (row, check). -#}
{% test metric_definitions_hold(model, metrics_of) %}
    {%- set metrics = mart_metrics(metrics_of) %}
    {%- set columns = metrics | map(attribute='name') | list %}
    {%- set checks = [] %}
    {%- for metric in metrics if metric.kind == 'ratio' and metric.denominator in columns %}
        {%- if metric.numerator in columns %}
            {%- do checks.append((metric.name ~ ' from its parts', metric.name,
                ratio_sql(metric, metric.numerator, metric.denominator))) %}
        {%- else %}
            {%- do checks.append((metric.name ~ ' is 0 when ' ~ metric.denominator ~ ' is 0', metric.name,
                'case when ' ~ metric.denominator ~ ' = 0 then 0 else ' ~ metric.name ~ ' end')) %}
        {%- endif %}
    {%- endfor %}
    {%- for metric in metrics if metric.kind == 'unique_counter' %}
        {%- for rows in metrics if rows.kind in ['counter', 'count'] and rows.source == metric.source
            and rows.filter == metric.filter and rows.time == metric.time %}
            {%- do checks.append((metric.name ~ ' at most ' ~ rows.name, metric.name,
                'case when ' ~ metric.name ~ ' > ' ~ rows.name ~ ' then ' ~ rows.name ~ ' else ' ~ metric.name ~ ' end')) %}
        {%- endfor %}
    {%- endfor %}
    {%- for check, column, expected in checks %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        '{{ check }}' as failed_check,
        cast({{ column }} as decimal(18, 4)) as actual_value,
        cast({{ expected }} as decimal(18, 4)) as expected_value
    from {{ model }}
    where {{ column }} <> {{ expected }}
    {%- else %}
    select 'none' as failed_check from {{ model }} where 1 = 0
    {%- endfor %}
{% endtest %}
