{#- Incremental strategy `replace_range`, used by every incremental model: a run replaces the
    whole build range of the model, not only the keys its new rows happen to contain.
    - With config `range_column` (a local date), every stored row whose range_column falls
      on a day of the build range is deleted first: a day that lost all its rows (a page
      view whose dedup winner moved to another day) is emptied, and a value removed from a
      seed disappears. Then, as delete+insert, the rows sharing a `unique_key` with the new
      ones are replaced (a key that moved into the range from a day outside it).
    - The new rows must have the stored table's columns (check_columns_unchanged): history
      is kept, so a changed model is rebuilt deliberately, never silently half-applied. The
      deliberate way: a bizstats build that rebuilds every day with data after a registry
      change sets var `sync_columns`, and the stored table is altered to the new columns
      (macros/materialisation/sync_columns.sql) before the range is replaced.

    DuckDB calls get_incremental_replace_range_sql (dbt's hook for custom strategies).
    dbt-mysql's materialization has no strategy hook: it calls incremental_delete (see
    macros/materialisation/incremental_delete.sql), which does the same first. Both run inside the model's
    transaction: a failed insert keeps the old rows. In a bizstats build a mart first saves
    the rows it replaces in its undo log, in the same transaction (macros/materialisation/undo_log/). -#}
{% macro get_incremental_replace_range_sql(arg_dict) -%}
    {%- set synced = check_columns_unchanged(arg_dict['temp_relation'], arg_dict['target_relation']) -%}
    {%- set dest_columns = arg_dict['dest_columns'] -%}
    {%- if synced -%}
        {#- the whole table was saved before the ALTER: no rows to save; insert the new columns -#}
        {%- set dest_columns = adapter.get_columns_in_relation(arg_dict['target_relation']) -%}
    {%- else -%}
    {%- for statement in undo_save_rows_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key']) %}
    {{ statement }};
    {%- endfor %}
    {%- endif %}
    {%- if config.get('range_column') %}
    {{ range_delete_sql(arg_dict['target_relation']) }};
    {%- endif %}
    {{ get_delete_insert_merge_sql(
        arg_dict['target_relation'],
        arg_dict['temp_relation'],
        arg_dict['unique_key'],
        dest_columns,
        arg_dict['incremental_predicates']
    ) }}
{%- endmacro %}
