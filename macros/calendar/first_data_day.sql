{#- The first local day any published number can fall on: the earliest fact time of the raw
    tables (var fact_time_columns, which bizstats' late-data planner reads too). Registration
    dates alone put no number on a day. -#}
{% macro first_data_day() -%}
    {%- set raw_schema = var('raw_schema') or (target.schema ~ '_raw') -%}
    {%- set minima = [] -%}
    {%- for table, columns in var('fact_time_columns').items() -%}
        {%- set relation = existing_relation(raw_schema, table) if execute else none -%}
        {%- for column in columns if relation -%}
            {%- do minima.append("select min(" ~ column ~ ") as first_at from " ~ relation) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not minima -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(query_date(
        "select " ~ local_date("min(facts.first_at)") ~ " from (" ~ (minima | join(" union all ")) ~ ") as facts"
    )) }}
{%- endmacro %}
