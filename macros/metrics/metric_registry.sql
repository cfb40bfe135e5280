{#- The metric registry (指标注册表): vars.metrics of dbt_project.yml, normalised — every field
    with its default, plus
      additive     counter, count, sum and first_time add up over slices, hours and days
      sql_type     'integer' or 'decimal(18,s)', the column type in the marts
      source_spec  the metric_sources entry (none for a ratio)
      warn_above   a number, or another metric of the row, above which a value is implausible
                   (the build warns: macros/generic_tests/metrics_plausible.sql)
    docs/adding-a-metric.md documents each field. A bad entry stops `dbt parse` (every model
    calls this) with one line naming the entry and the fix; bizstats.registry checks the same
    rules and the columns before a build. -#}
{% macro metric_registry() -%}
    {%- set kinds = ['counter', 'count', 'unique_counter', 'sum', 'first_time', 'ratio', 'cumulative'] -%}
    {%- set formats = ['integer', 'duration', 'money', 'decimal', 'percent'] -%}
    {%- set sources = metric_source_registry() -%}
    {%- set metrics = [] -%}
    {%- set by_name = {} -%}
    {%- for entry in var('metrics', []) or [] -%}
        {%- set where = "metric " ~ (entry.get('name') or '#' ~ loop.index) ~ " (vars.metrics, dbt_project.yml)" -%}
        {%- set fail = [] -%}
        {%- for field in ['name', 'kind', 'label_zh', 'label_en', 'unit', 'format', 'description'] -%}
            {%- if entry.get(field) is none or entry.get(field) == '' -%}
                {%- do fail.append('`' ~ field ~ '` is missing: give it') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set kind = entry.get('kind') -%}
        {%- if not fail and not modules.re.match('^[a-z][a-z0-9_]{0,63}$', entry.name) -%}
            {%- do fail.append('the name must be snake_case: [a-z][a-z0-9_]*, at most 64 characters') -%}
        {%- elif not fail and entry.name in by_name -%}
            {%- do fail.append('a second metric of that name: rename one') -%}
        {%- elif not fail and kind not in kinds -%}
            {%- do fail.append('unknown kind ' ~ kind ~ ': use one of ' ~ kinds | join(', ')) -%}
        {%- elif not fail and entry.format not in formats -%}
            {%- do fail.append('unknown format ' ~ entry.format ~ ': use one of ' ~ formats | join(', ')) -%}
        {%- elif not fail and kind == 'ratio' and not (entry.get('numerator') and entry.get('denominator')) -%}
            {%- do fail.append('a ratio needs `numerator` and `denominator` (names of other metrics)') -%}
        {%- elif not fail and kind != 'ratio' and entry.get('source') not in sources -%}
            {%- do fail.append('unknown source ' ~ entry.get('source') ~ ': use one of ' ~ sources.keys() | list | join(', ')) -%}
        {%- elif not fail and kind in ['sum', 'cumulative'] and not entry.get('amount') -%}
            {%- do fail.append('a ' ~ kind ~ ' needs `amount`: the column summed') -%}
        {%- elif not fail and kind == 'unique_counter' and not entry.get('distinct') -%}
            {%- do fail.append('a unique_counter needs `distinct`: the column whose distinct values it counts') -%}
        {%- endif -%}
        {%- if fail -%}
            {{ exceptions.raise_compiler_error(where ~ ": " ~ fail[0]) }}
        {%- endif -%}
        {%- set source_spec = sources.get(entry.get('source')) if kind != 'ratio' else none -%}
        {%- set decimals = (entry.get('decimals') or 0) | int -%}
        {%- if kind == 'ratio' -%}
            {%- set sql_type = 'integer' if decimals == 0 else 'decimal(18, ' ~ decimals ~ ')' -%}
        {%- elif kind in ['sum', 'cumulative'] and entry.format not in ['integer', 'duration'] -%}
            {%- set sql_type = 'decimal(18, 2)' -%}
        {%- else -%}
            {%- set sql_type = 'integer' -%}
        {%- endif -%}
        {%- set metric = {
            'name': entry.name, 'kind': kind,
            'label_zh': entry.label_zh, 'label_en': entry.label_en,
            'short_zh': entry.get('short_zh') or entry.label_zh,
            'short_en': entry.get('short_en') or entry.label_en,
            'unit': entry.unit, 'format': entry.format, 'description': entry.description,
            'source': entry.get('source') if kind != 'ratio' else none,
            'source_spec': source_spec,
            'filter': entry.get('filter') or {},
            'time': entry.get('time') or (source_spec.time if source_spec else none),
            'amount': entry.get('amount'), 'distinct': entry.get('distinct'),
            'numerator': entry.get('numerator'), 'denominator': entry.get('denominator'),
            'decimals': decimals,
            'funnel_step': entry.get('funnel_step'),
            'published': entry.get('published', true) is not false,
            'warn_above': entry.get('warn_above'),
            'additive': kind in ['counter', 'count', 'sum', 'first_time'],
            'sql_type': sql_type,
        } -%}
        {%- do metrics.append(metric) -%}
        {%- do by_name.update({entry.name: metric}) -%}
    {%- endfor -%}
    {%- for metric in metrics if metric.kind == 'ratio' -%}
        {%- for part in [metric.numerator, metric.denominator] -%}
            {%- if part not in by_name or by_name[part].kind in ['ratio', 'cumulative'] -%}
                {{ exceptions.raise_compiler_error(
                    "metric " ~ metric.name ~ " (vars.metrics, dbt_project.yml): its part " ~ part
                    ~ " is not a metric of the registry, or is a ratio or a cumulative: name a counter, "
                    ~ "count, unique_counter, sum or first_time (published: false to keep it out of the marts)") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(metrics) }}
{%- endmacro %}
