{#- The breakdown dimensions (维度): vars.breakdown_dimensions of dbt_project.yml,
    normalised. Each has `population`, a metric dict whose rows are the dimension's items: the
    metric it names (its source, filter and time; a first_time metric's first rows), or a count
    over its own source/filter/time; `amount` is the dimension's (none: no amount); `value` the
    SQL of the item's value over the source row `source_rows` (a column, or a string field of
    its extra_data JSON). A bad entry stops `dbt parse` with one line naming it. -#}
{% macro breakdown_dimension_registry() -%}
    {%- set sources = metric_source_registry() -%}
    {%- set metrics = {} -%}
    {%- for metric in metric_registry() -%}
        {%- do metrics.update({metric.name: metric}) -%}
    {%- endfor -%}
    {%- set dimensions = [] -%}
    {%- for entry in var('breakdown_dimensions', []) or [] -%}
        {%- set where = "breakdown dimension " ~ (entry.get('name') or '#' ~ loop.index)
            ~ " (vars.breakdown_dimensions, dbt_project.yml)" -%}
        {%- set fail = [] -%}
        {%- if not (entry.get('name') and entry.get('label_zh') and entry.get('label_en')) -%}
            {%- do fail.append('give name, label_zh and label_en') -%}
        {%- elif not modules.re.match('^[a-z][a-z0-9_]{0,29}$', entry.name) -%}
            {%- do fail.append('the name must be snake_case: [a-z][a-z0-9_]*, at most 30 characters') -%}
        {%- elif entry.name in dimensions | map(attribute='name') | list -%}
            {%- do fail.append('a second dimension of that name: rename one') -%}
        {%- elif (entry.get('metric') is none) == (entry.get('source') is none) -%}
            {%- do fail.append('give either `metric` (its rows) or `source` (with filter and time), not both') -%}
        {%- elif entry.get('metric') is not none and (entry.metric not in metrics
            or metrics[entry.metric].kind in ['ratio', 'cumulative']) -%}
            {%- do fail.append('metric ' ~ entry.metric ~ ' is not a counter, count, unique_counter, sum or first_time of the registry') -%}
        {%- elif entry.get('source') is not none and entry.source not in sources -%}
            {%- do fail.append('unknown source ' ~ entry.source ~ ': use one of ' ~ sources.keys() | list | join(', ')) -%}
        {%- elif (entry.get('column') is none) == (entry.get('field') is none) -%}
            {%- do fail.append('give either `column` or `field` (of extra_data), not both') -%}
        {%- endif -%}
        {%- if fail -%}
            {{ exceptions.raise_compiler_error(where ~ ": " ~ fail[0]) }}
        {%- endif -%}
        {%- if entry.get('metric') is not none -%}
            {%- set base = metrics[entry.metric] -%}
        {%- else -%}
            {%- set spec = sources[entry.source] -%}
            {%- set base = {'kind': 'count', 'source': entry.source, 'source_spec': spec,
                'filter': entry.get('filter') or {}, 'time': entry.get('time') or spec.time, 'distinct': none} -%}
        {%- endif -%}
        {%- set population = {
            'name': entry.name, 'kind': base.kind, 'source': base.source, 'source_spec': base.source_spec,
            'filter': base.filter, 'time': base.time, 'distinct': none, 'amount': entry.get('amount'),
            'first_time_of': base.name if base.kind == 'first_time' else none} -%}
        {%- if entry.get('field') is not none -%}
            {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', entry.field) -%}
                {{ exceptions.raise_compiler_error(where ~ ": a field name is letters, digits and _") }}
            {%- endif -%}
            {%- set value = json_string_field('source_rows.extra_data', entry.field) -%}
        {%- else -%}
            {%- set value = 'source_rows.' ~ entry.column -%}
        {%- endif -%}
        {%- do dimensions.append({
            'name': entry.name, 'label_zh': entry.label_zh, 'label_en': entry.label_en,
            'metric': entry.get('metric'), 'population': population, 'value': value,
            'has_amount': entry.get('amount') is not none}) -%}
    {%- endfor -%}
    {{ return(dimensions) }}
{%- endmacro %}
