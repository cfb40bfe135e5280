{#- Secondary indexes for MySQL/MariaDB tables built by dbt (dbt-mysql creates none).
    Used as a post-hook: {{ ensure_indexes(['event_id', 'event_time']) }}. No-op on DuckDB,
    whose zone maps serve range scans. -#}
{% macro ensure_indexes(columns) -%}
    {{ return(adapter.dispatch('ensure_indexes', 'bizstats')(columns)) }}
{%- endmacro %}

{% macro default__ensure_indexes(columns) -%}
    select 1 as no_index_needed
{%- endmacro %}

{% macro mysql__ensure_indexes(columns) -%}
    {%- if execute -%}
        {%- set existing = run_query(
            "select distinct index_name from information_schema.statistics"
            ~ " where table_schema = '" ~ this.schema ~ "' and table_name = '" ~ this.identifier ~ "'"
        ).columns[0].values() | map('lower') | list -%}
        {%- for cols in columns -%}
            {%- set col_list = [cols] if cols is string else cols -%}
            {%- set name = 'ix_' ~ (col_list | join('_')) -%}
            {%- if name not in existing -%}
                {%- do run_query('create index ' ~ name ~ ' on ' ~ this ~ ' (' ~ (col_list | join(', ')) ~ ')') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as indexes_ready
{%- endmacro %}

{% macro mariadb__ensure_indexes(columns) -%}
    {{ mysql__ensure_indexes(columns) }}
{%- endmacro %}
