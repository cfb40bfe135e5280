{#- Table shape for MySQL/MariaDB tables built by dbt, which creates no indexes and cannot
    cast to INT. Used as a post-hook:
      {{ ensure_indexes(['event_id', ['stat_date', 'channel']], unique=[[...]], int_columns=[...]) }}
    - each entry of `columns` (a column or a list of columns) gets an index ix_<cols>;
    - each entry of `unique` gets a unique key uk_<cols>;
    - `int_columns` become INT (CAST AS SIGNED yields BIGINT), as in the seed's DDL.
    Existing indexes and types are left alone, so re-runs do nothing. No-op on DuckDB, whose
    zone maps serve range scans and whose casts give INTEGER directly. -#}
{% macro ensure_indexes(columns, unique=[], int_columns=[]) -%}
    {{ return(adapter.dispatch('ensure_indexes', 'bizstats')(columns, unique, int_columns)) }}
{%- endmacro %}

{% macro default__ensure_indexes(columns, unique, int_columns) -%}
    select 1 as no_index_needed
{%- endmacro %}

{% macro mysql__ensure_indexes(columns, unique, int_columns) -%}
    {%- if execute -%}
        {#- names as string literals, quotes doubled (bizstats refuses a BIZSTATS_MYSQL_SCHEMA
            with quotes up front; a hand-written profile may still have one) -#}
        {%- set schema_literal = this.schema | replace("'", "''") -%}
        {%- set table_literal = this.identifier | replace("'", "''") -%}
        {%- set where = " where table_schema = '" ~ schema_literal ~ "' and table_name = '" ~ table_literal ~ "'" -%}
        {%- set existing = run_query(
            "select distinct index_name from information_schema.statistics" ~ where
        ).columns[0].values() | map('lower') | list -%}
        {%- for kind, entries in [('ix', columns), ('uk', unique)] -%}
            {%- for cols in entries -%}
                {%- set col_list = [cols] if cols is string else cols -%}
                {%- set name = kind ~ '_' ~ (col_list | join('_')) -%}
                {%- if name not in existing -%}
                    {%- do run_query(
                        'create ' ~ ('unique ' if kind == 'uk' else '') ~ 'index ' ~ name
                        ~ ' on ' ~ this ~ ' (' ~ (col_list | join(', ')) ~ ')'
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if int_columns -%}
            {%- set types = run_query(
                "select column_name, data_type, is_nullable from information_schema.columns" ~ where
            ) -%}
            {%- set changes = [] -%}
            {%- for row in types.rows if row[0] in int_columns and row[1] | lower != 'int' -%}
                {%- do changes.append('modify ' ~ row[0] ~ ' int' ~ (' not null' if row[2] == 'NO' else '')) -%}
            {%- endfor -%}
            {%- if changes -%}
                {%- do run_query('alter table ' ~ this ~ ' ' ~ (changes | join(', '))) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as table_shape_ready
{%- endmacro %}

{% macro mariadb__ensure_indexes(columns, unique, int_columns) -%}
    {{ mysql__ensure_indexes(columns, unique, int_columns) }}
{%- endmacro %}
