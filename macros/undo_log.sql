{#- The undo log of a bizstats build (bizstats/undo_log.py): a failed build changes no mart.
    Before a model with config `undo_log` (the marts, dbt_project.yml) changes its table, it
    saves what the change would lose, and a row in `bizstats_build_undo` says so:
    - an incremental run (undo_save_rows_sql, called by both replace_range paths, in the
      model's own transaction): the stored rows it is about to delete and the new rows'
      keys, into `<model>__undo` (the build range's rows only: the cost follows the range);
    - a first build (no table yet): that the table was absent (undo_save_table);
    - a full refresh: a copy of the whole table, `<model>__undo_full` (undo_save_table);
    - a run that alters the table's columns to the model's (var sync_columns,
      macros/sync_columns.sql): the same copy, taken before the first ALTER
      (undo_save_whole_table), so putting it back restores the old columns and rows; the
      run then saves no rows.
    The build commits by deleting its rows from bizstats_build_undo once dbt and every
    error-severity test passed; until then bizstats puts each saved table back.
    Only under the bizstats wrapper (BIZSTATS_BUILD_ID, read at execution time, so dbt's
    partial parsing is kept): a plain `dbt build` changes the marts directly. -#}

{#- The id of the bizstats build this run belongs to, or '' (plain dbt, a model without
    config undo_log, or parse time). -#}
{% macro undo_build_id() -%}
    {%- if not execute or not config.get('undo_log') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set build_id = env_var('BIZSTATS_BUILD_ID', '') -%}
    {%- if build_id and not modules.re.fullmatch('[0-9a-f]{32}', build_id) -%}
        {{ exceptions.raise_compiler_error("BIZSTATS_BUILD_ID must be 32 hex digits, got '" ~ build_id ~ "'") }}
    {%- endif -%}
    {{ return(build_id) }}
{%- endmacro %}

{#- `relation` with `suffix` added to its name (same schema). -#}
{% macro undo_relation(relation, suffix) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ suffix})) }}
{%- endmacro %}

{#- INSERT of one bizstats_build_undo row: `kind` rows, table or absent. -#}
{% macro undo_log_row_sql(relation, build_id, kind, key_columns=[]) -%}
    insert into {{ relation.incorporate(path={'identifier': 'bizstats_build_undo'}) }}
        (build_id, model, kind, key_columns)
    values ('{{ build_id }}', '{{ relation.identifier }}', '{{ kind }}', '{{ key_columns | join(",") }}')
{%- endmacro %}

{#- The statements that save, in `<target>__undo`, the stored rows of `target_relation` an
    incremental run deletes (those of the build range on `range_column`, and those whose
    `unique_key` the new rows of `new_relation` carry) as part 'old', and the new rows as part
    'new' (their keys tell what to delete when putting the table back). Empty without a
    build id. Each statement names `new_relation` once (MySQL cannot reopen a temporary
    table within one statement). -#}
{% macro undo_save_rows_sql(target_relation, new_relation, unique_key) -%}
    {%- set build_id = undo_build_id() -%}
    {%- if not build_id -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set undo = undo_relation(target_relation, '__undo') -%}
    {%- set columns = [] -%}
    {%- set stored_columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(target_relation) -%}
        {%- do columns.append(adapter.quote(column.name | lower)) -%}
        {%- do stored_columns.append('stored_rows.' ~ adapter.quote(column.name | lower)) -%}
    {%- endfor -%}
    {%- set range_column = config.get('range_column') -%}
    {%- if range_column -%}
        {%- set r = build_range() -%}
        {%- set in_range = range_column ~ ' between ' ~ date_literal(r.start) ~ ' and ' ~ date_literal(r.end) -%}
    {%- endif -%}
    {%- set statements = [
        "create table if not exists " ~ undo ~ " as select '" ~ build_id ~ "' as _undo_build, 'old' as _undo_part, "
            ~ (columns | join(', ')) ~ " from " ~ target_relation ~ " where 1 = 0"
    ] -%}
    {%- if range_column -%}
        {%- do statements.append(
            "insert into " ~ undo ~ " select '" ~ build_id ~ "', 'old', " ~ (columns | join(', '))
            ~ " from " ~ target_relation ~ " where " ~ in_range
        ) -%}
    {%- endif -%}
    {%- set key_match = [] -%}
    {%- for key in keys -%}
        {%- do key_match.append('stored_rows.' ~ key ~ ' = new_keys.' ~ key) -%}
    {%- endfor -%}
    {%- do statements.append(
        "insert into " ~ undo ~ " select '" ~ build_id ~ "', 'old', " ~ (stored_columns | join(', '))
        ~ " from " ~ target_relation ~ " as stored_rows inner join (select distinct " ~ (keys | join(', '))
        ~ " from " ~ new_relation ~ ") as new_keys on " ~ (key_match | join(' and '))
        ~ ((" where not (stored_rows." ~ in_range ~ ")") if range_column else "")
    ) -%}
    {%- do statements.append(
        "insert into " ~ undo ~ " select '" ~ build_id ~ "', 'new', " ~ (columns | join(', '))
        ~ " from " ~ new_relation
    ) -%}
    {%- do statements.append(undo_log_row_sql(target_relation, build_id, 'rows', keys)) -%}
    {{ return(statements) }}
{%- endmacro %}

{#- Pre-hook of the marts: before a first build or a full refresh replaces the whole table,
    record that it was absent, or copy it to `<model>__undo_full`. DuckDB: in the model's
    transaction (its DDL is transactional: the save and the change commit together).
    MySQL/MariaDB: committed at once, since dbt renames the old table away with DDL, which
    commits. (A hook outside dbt's transaction is not an option: dbt-duckdb fails on the
    COMMIT dbt sends before it.) -#}
{% macro undo_save_table() -%}
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

{#- Post-hook of the marts, for the test suite: BIZSTATS_FAULT_AFTER_MODEL=<model> commits
    that model's new rows, then fails it, so a test can fail each mart in turn and see that
    the build changes no mart. -#}
{% macro undo_fault_injection() -%}
    {%- if execute and env_var('BIZSTATS_FAULT_AFTER_MODEL', '') == this.identifier -%}
        {%- do adapter.commit() -%}
        {{ exceptions.raise_compiler_error(
            "fault injected after " ~ this.identifier ~ " committed (BIZSTATS_FAULT_AFTER_MODEL)") }}
    {%- endif -%}
{%- endmacro %}
