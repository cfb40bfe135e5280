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
      (macros/sync_columns.sql) before the range is replaced.

    DuckDB calls get_incremental_replace_range_sql (dbt's hook for custom strategies).
    dbt-mysql's materialization has no strategy hook: it calls incremental_delete (see
    macros/incremental_delete.sql), which does the same first. Both run inside the model's
    transaction: a failed insert keeps the old rows. In a bizstats build a mart first saves
    the rows it replaces in its undo log, in the same transaction (macros/undo_log.sql). -#}
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

{#- When the new rows (`new_relation`) and the stored table differ in columns: under var
    `sync_columns` (a bizstats build rebuilding every day with data after a registry change)
    alters the stored table to the new columns (sync_columns) and returns true; otherwise
    fails the model, naming the command that rebuilds it over all days with data. Returns
    false when the columns match. -#}
{% macro check_columns_unchanged(new_relation, stored_relation) -%}
    {%- set new_relation_columns = adapter.get_columns_in_relation(new_relation) -%}
    {%- set new_columns = new_relation_columns | map(attribute='name') | map('lower') | list -%}
    {%- set stored_columns = adapter.get_columns_in_relation(stored_relation) | map(attribute='name') | map('lower') | list -%}
    {%- set added = new_columns | reject('in', stored_columns) | list -%}
    {%- set removed = stored_columns | reject('in', new_columns) | list -%}
    {%- if (added or removed) and var('sync_columns', false) in [true, 'true'] -%}
        {%- set added_columns = [] -%}
        {%- for column in new_relation_columns if column.name | lower in added -%}
            {%- do added_columns.append(column) -%}
        {%- endfor -%}
        {%- do sync_columns(new_relation, stored_relation, added_columns, removed) -%}
        {{ return(true) }}
    {%- elif added or removed -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ ": the model's columns changed (added: " ~ (added | join(', ') or 'none')
            ~ "; removed: " ~ (removed | join(', ') or 'none') ~ "). It is incremental and keeps its "
            ~ "history, so it is not altered in place: rebuild it over all days with data with "
            ~ "`bizstats build --full-refresh --select " ~ this.identifier ~ "`"
        ) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}

{#- DELETE of the stored rows of `relation` whose `range_column` (a local date) lies in the
    build range. -#}
{% macro range_delete_sql(relation) -%}
    {%- set column = config.get('range_column') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_range' needs config range_column in " ~ this) }}
    {%- endif -%}
    {%- set r = build_range() -%}
    delete from {{ relation }}
    where {{ column }} between {{ date_literal(r.start) }} and {{ date_literal(r.end) }}
{%- endmacro %}
