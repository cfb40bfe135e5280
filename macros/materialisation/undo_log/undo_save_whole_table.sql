{#- Copy the whole of `relation` to `<relation>__undo_full` and log it (kind 'table'), under
    the bizstats build's id (nothing without one): before a full refresh replaces the table,
    or before sync_columns alters it. MySQL/MariaDB: committed before returning, ahead of
    the DDL that follows (which commits implicitly); DuckDB: in the model's transaction. -#}
{% macro undo_save_whole_table(relation) -%}
    {%- set build_id = undo_build_id() -%}
    {%- if build_id -%}
        {%- set copy = undo_relation(relation, '__undo_full') -%}
        {%- do run_query('drop table if exists ' ~ copy) -%}
        {%- if target.type == 'duckdb' -%}
            {%- do run_query('create table ' ~ copy ~ ' as select * from ' ~ relation) -%}
        {%- else -%}
            {%- do run_query('create table ' ~ copy ~ ' like ' ~ relation) -%}
            {%- do run_query('insert into ' ~ copy ~ ' select * from ' ~ relation) -%}
        {%- endif -%}
        {%- do run_query(undo_log_row_sql(relation, build_id, 'table')) -%}
        {%- if target.type != 'duckdb' -%}
            {%- do run_query('commit') -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
