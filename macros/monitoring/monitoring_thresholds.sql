{#- The table `monitoring_thresholds` of the models schema (written from monitoring.yml by
    bizstats.checks before each monitoring run), or none when no run has written it yet. -#}
{% macro monitoring_thresholds_relation() -%}
    {{ return(existing_relation(target.schema, 'monitoring_thresholds') if execute else none) }}
{%- endmacro %}

{#- The threshold rows of the checks or monitors named in `check_names`, as a list of dicts
    keyed by the table's lower-case column names ([] at parse time or without the table). -#}
{% macro monitoring_threshold_rows(check_names) -%}
    {%- set relation = monitoring_thresholds_relation() -%}
    {%- if not relation -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set table = run_query(
        "select * from " ~ relation ~ " where check_name in ('" ~ (check_names | join("', '")) ~ "')"
        ~ " order by check_name, metric, channel, device_type"
    ) -%}
    {%- set names = table.column_names | map('lower') | list -%}
    {%- set rows = [] -%}
    {%- for row in table.rows -%}
        {%- set item = {} -%}
        {%- for index in range(names | length) -%}
            {%- do item.update({names[index]: row[index]}) -%}
        {%- endfor -%}
        {%- do rows.append(item) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}
