{#- The `replace_range` strategy on a Spark table (macros/materialisation/spark_incremental.sql):
    the stored table `target` receives the new rows of `new_relation` and ends as the DuckDB
    strategy leaves it (range_delete_sql, then delete+insert on `keys`):
    - the affected partitions are those of the new rows, of the stored rows sharing a key with
      them (a key that moved day) and, with config `range_column`, of the stored rows in the
      build range;
    - their new content (the stored rows of those partitions outside the build range and not
      re-keyed, and the new rows) is written to a staging table `<target>__dbt_parts` (Spark
      refuses to overwrite a table a statement reads), then put in place by one INSERT
      OVERWRITE with dynamic partition overwrite: only the partitions it holds are replaced;
    - an affected partition left without rows (a day that lost all its rows) is dropped.
    Without `partition_column` the whole table is rewritten the same way. With `rewrite` (the
    new rows' columns differ from the stored ones, var sync_columns), the whole table is
    rewritten with the new rows' columns (a kept row lacking one: NULL) and replaces the old.
    `new_columns`: the new rows' dbt Columns; `stored_names`: the stored table's column names. -#}
{% macro spark_replace_partitions(target, new_relation, new_columns, stored_names, keys, partition_column, rewrite) -%}
    {%- set parts = undo_relation(target, '__dbt_parts') -%}
    {%- set range_column = config.get('range_column') -%}
    {%- set quoted = [] -%}
    {%- set stored_quoted = [] -%}
    {%- for column in new_columns -%}
        {%- set name = adapter.quote(column.name | lower) -%}
        {%- do quoted.append(name) -%}
        {%- if column.name | lower in stored_names -%}
            {%- do stored_quoted.append('stored_rows.' ~ name) -%}
        {%- else -%}
            {%- do stored_quoted.append('cast(null as ' ~ column.dtype ~ ') as ' ~ name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set key_match = [] -%}
    {%- for key in keys -%}
        {%- do key_match.append('stored_rows.' ~ key ~ ' = new_keys.' ~ key) -%}
    {%- endfor -%}
    {%- if range_column -%}
        {%- set r = build_range() -%}
        {%- set in_range = 'stored_rows.' ~ range_column ~ ' between ' ~ date_literal(r.start) ~ ' and ' ~ date_literal(r.end) -%}
    {%- endif -%}
    {%- set new_keys -%}
        select distinct {{ keys | join(', ') }} from {{ new_relation }}
    {%- endset -%}
    {%- set affected -%}
        select new_rows.{{ partition_column }} as part from {{ new_relation }} as new_rows
        {%- if keys %}
        union
        select stored_rows.{{ partition_column }} as part
        from {{ target }} as stored_rows
        left semi join ({{ new_keys }}) as new_keys on {{ key_match | join(' and ') }}
        {%- endif %}
        {%- if range_column %}
        union
        select stored_rows.{{ partition_column }} as part from {{ target }} as stored_rows where {{ in_range }}
        {%- endif %}
    {%- endset -%}
    {%- set kept_rows -%}
        select {{ stored_quoted | join(', ') }}
        from {{ target }} as stored_rows
        {%- if keys %}
        left anti join ({{ new_keys }}) as new_keys on {{ key_match | join(' and ') }}
        {%- endif %}
        where 1 = 1
        {%- if partition_column and not rewrite %}
            and stored_rows.{{ partition_column }} in (select affected.part from ({{ affected }}) as affected)
        {%- endif %}
        {%- if range_column %}
            and not ({{ in_range }})
        {%- endif %}
    {%- endset -%}
    {%- do spark_execute('drop table if exists ' ~ parts) -%}
    {%- do spark_execute(spark_create_parquet_table(
        parts, kept_rows ~ ' union all select ' ~ (quoted | join(', ')) ~ ' from ' ~ new_relation,
        partition_column if rewrite else none)) -%}
    {%- if rewrite -%}
        {%- do spark_execute('drop table ' ~ target) -%}
        {%- do spark_execute('alter table ' ~ parts ~ ' rename to ' ~ target) -%}
        {{ return(none) }}
    {%- elif partition_column -%}
        {%- set emptied = run_query(
            'select distinct affected.part from (' ~ affected ~ ') as affected left anti join ' ~ parts
            ~ ' as parts on affected.part = parts.' ~ partition_column
            ~ ' where affected.part is not null order by affected.part'
        ).columns[0].values() | list -%}
        {%- do spark_execute('set spark.sql.sources.partitionOverwriteMode = dynamic') -%}
        {%- do spark_execute(
            'insert overwrite table ' ~ target ~ ' partition (' ~ adapter.quote(partition_column) ~ ') select '
            ~ (quoted | reject('equalto', adapter.quote(partition_column)) | join(', ')) ~ ', '
            ~ adapter.quote(partition_column) ~ ' from ' ~ parts
        ) -%}
        {%- if emptied -%}
            {%- set specs = [] -%}
            {%- for value in emptied -%}
                {%- do specs.append('partition (' ~ adapter.quote(partition_column) ~ " = '" ~ value ~ "')") -%}
            {%- endfor -%}
            {%- do spark_execute('alter table ' ~ target ~ ' drop if exists ' ~ (specs | join(', '))) -%}
        {%- endif -%}
    {%- else -%}
        {%- do spark_execute('insert overwrite table ' ~ target ~ ' select ' ~ (quoted | join(', ')) ~ ' from ' ~ parts) -%}
    {%- endif -%}
    {%- do spark_execute('drop table if exists ' ~ parts) -%}
{%- endmacro %}
