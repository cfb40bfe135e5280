{#- The incremental materialization on Spark (the project's; dbt-spark's own accepts no custom
    strategy). It runs the `replace_range` strategy (macros/materialisation/get_incremental_replace_range_sql.sql)
    over Parquet tables partitioned by the model's day: config `range_column`, else the
    Spark-only config `spark_partition_by` (dbt_project.yml: week_start, month_start, ...); a
    model with neither is one unpartitioned table, rewritten whole by each run.
    - First run, or --full-refresh: CREATE TABLE ... USING parquet PARTITIONED BY ... AS the
      model's query.
    - Otherwise the new rows go to a staging table `<model>__dbt_new` first (a real table:
      the model's query reads the stored table, which is about to change), then
      spark_replace_partitions writes what the DuckDB strategy leaves: every stored row of the
      build range replaced, rows sharing a `unique_key` with the new rows replaced wherever they
      were stored, a day that lost all its rows emptied.
    - The new rows must have the stored table's columns (check_columns_unchanged), else the
      model fails naming the command to run; under var `sync_columns` (a bizstats build over
      every day with data after a registry change) the table is rewritten with the new rows'
      columns instead (a stored row kept lacks an added column: NULL, as an ALTER leaves it on
      DuckDB).
    No transactions and no undo log on Spark (undo_save_table): a failed bizstats build records
    nothing as built, so its days stay pending and the next build rebuilds them. -#}
{% materialization incremental, adapter='spark' -%}
    {%- set strategy = config.get('incremental_strategy') -%}
    {%- if strategy != 'replace_range' -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ ": incremental_strategy '" ~ strategy ~ "' is not supported on Spark, only 'replace_range'") }}
    {%- endif -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set keys = [] if unique_key is none else ([unique_key] if unique_key is string else unique_key) -%}
    {%- set partition_column = config.get('range_column') or config.get('spark_partition_by') -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_relation(this) -%}
    {%- set new_relation = undo_relation(target_relation, '__dbt_new') -%}

    {{ run_hooks(pre_hooks) }}

    {%- if existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
        {%- if existing_relation is not none -%}
            {%- do adapter.drop_relation(existing_relation) -%}
        {%- endif -%}
        {%- call statement('main') -%}
            {{ spark_create_parquet_table(target_relation, compiled_code, partition_column) }}
        {%- endcall -%}
    {%- else -%}
        {%- do spark_execute('drop table if exists ' ~ new_relation) -%}
        {%- do spark_execute(spark_create_parquet_table(new_relation, compiled_code, none)) -%}
        {%- set new_columns = adapter.get_columns_in_relation(new_relation) -%}
        {%- set new_names = new_columns | map(attribute='name') | map('lower') | list -%}
        {%- set stored_names = adapter.get_columns_in_relation(existing_relation) | map(attribute='name') | map('lower') | list -%}
        {%- set sync = (new_names | sort) != (stored_names | sort) and var('sync_columns', false) in [true, 'true'] -%}
        {%- if not sync -%}
            {#- fails the model, naming the command, when the columns differ -#}
            {%- do check_columns_unchanged(new_relation, existing_relation) -%}
        {%- endif -%}
        {#- no new rows and no range to replace (stg_event_logs without new loads): nothing changes -#}
        {%- set unchanged = not sync and not config.get('range_column')
            and (run_query('select count(*) from ' ~ new_relation).columns[0].values()[0] | int) == 0 -%}
        {%- if not unchanged -%}
            {%- do spark_replace_partitions(
                target_relation, new_relation, new_columns, stored_names, keys, partition_column, sync) -%}
        {%- endif -%}
        {%- if sync -%}
            {{ log(target_relation.identifier ~ ": rewritten with the model's columns (added: "
                ~ (new_names | reject('in', stored_names) | join(', ') or 'none') ~ "; removed: "
                ~ (stored_names | reject('in', new_names) | join(', ') or 'none') ~ ")", info=true) }}
        {%- endif -%}
        {%- call statement('main') -%}
            select count(*) as new_rows from {{ new_relation }}
        {%- endcall -%}
        {%- do spark_execute('drop table if exists ' ~ new_relation) -%}
    {%- endif -%}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}
