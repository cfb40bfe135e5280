{#- Generic test on a mart (`metrics_of`: its name): the rows where a metric of the registry
    with `warn_above` is above it — a number (avg_visit_duration above 86,400 s: a tab left
    open for days) or another metric of the same row (history_member_deduction above
    total_deduction: refunds of other services exceeding them). Possible for some raw input,
    so it is configured `severity: warn`: the build reports the rows and goes on. Returns the
    failing rows whole. -#}
{% test metrics_plausible(model, metrics_of) %}
    {%- set checks = [] %}
    {%- for metric in mart_metrics(metrics_of) if metric.warn_above is not none %}
        {%- do checks.append(metric.name ~ ' > ' ~ metric.warn_above) %}
    {%- endfor %}
    select *
    from {{ model }}
    where
        {%- for condition in checks %}
        {% if not loop.first %}or {% endif %}{{ condition }}
        {%- else %}
        1 = 0
        {%- endfor %}
{% endtest %}
