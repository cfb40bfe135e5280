{#- The undo log of a bizstats build (bizstats/undo_log.py): a failed build changes no mart.
    Before a model with config `undo_log` (the marts, dbt_project.yml) changes its table, it
    saves what the change would lose, and a row in `bizstats_build_undo` says so:
    - an incremental run (undo_save_rows_sql, called by both replace_range paths, in the
      model's own transaction): the stored rows it is about to delete and the new rows'
      keys, into `<model>__undo` (the build range's rows only: the cost follows the range);
    - a first build (no table yet): that the table was absent (undo_save_table);
    - a full refresh: a copy of the whole table, `<model>__undo_full` (undo_save_table);
    - a run that alters the table's columns to the model's (var sync_columns,
      macros/materialisation/sync_columns.sql): the same copy, taken before the first ALTER
      (undo_save_whole_table), so putting it back restores the old columns and rows; the
      run then saves no rows.
    The build commits by deleting its rows from bizstats_build_undo once dbt and every
    error-severity test passed; until then bizstats puts each saved table back.
    Only under the bizstats wrapper (BIZSTATS_BUILD_ID, read at execution time, so dbt's
    partial parsing is kept): a plain `dbt build` changes the marts directly. -#}

{#- Pre-hook of the marts: before a first build or a full refresh replaces the whole table,
    record that it was absent, or copy it to `<model>__undo_full`. DuckDB: in the model's
    transaction (its DDL is transactional: the save and the change commit together).
    MySQL/MariaDB: committed at once, since dbt renames the old table away with DDL, which
    commits. (A hook outside dbt's transaction is not an option: dbt-duckdb fails on the
    COMMIT dbt sends before it.) -#}
{% macro undo_save_table() -%}
    {{ return(adapter.dispatch('undo_save_table', 'bizstats')()) }}
{%- endmacro %}

{% macro default__undo_save_table() -%}
    {%- set build_id = undo_build_id() -%}
    {%- if build_id and not is_incremental() -%}
        {%- if load_relation(this) is none -%}
            {%- do run_query(undo_log_row_sql(this, build_id, 'absent')) -%}
            {%- if target.type != 'duckdb' -%}
                {%- do run_query('commit') -%}
            {%- endif -%}
        {%- else -%}
            {%- do undo_save_whole_table(this) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Spark keeps no undo log: it has no transactions to keep a save and a change together, and
    needs none, since a bizstats build records nothing as built until dbt succeeded, so a
    failed build's days stay pending and the next build rebuilds them (whole days: the
    incremental materialization of macros/materialisation/spark_incremental.sql). -#}
{% macro spark__undo_save_table() -%}
{%- endmacro %}
