{#- Alter the stored table of an incremental model to the columns of its new rows: each
    column of `new_relation` that `stored_relation` lacks is added with the new relation's
    type, each stored column the new rows no longer have is dropped. One ALTER per column
    (DuckDB takes one action per ALTER TABLE). The rows are refilled by the run itself: a
    bizstats build that finds the metric registry changed (bizstats/build.py) covers every
    day with data and sets var `sync_columns`, under which check_columns_unchanged
    (macros/materialisation/get_incremental_replace_range_sql.sql) calls this instead of failing. An added column is NULL in the
    stored rows until then, which keep_timestamps counts as a change (updated_at moves).
    A failed build puts the table back, columns included: the whole table is saved first
    (undo_save_whole_table, macros/materialisation/undo_log/; MySQL/MariaDB commit each ALTER at once).
    `added`: dbt Column objects of new_relation; `removed`: column names. -#}
{% macro sync_columns(new_relation, stored_relation, added, removed) -%}
    {%- do undo_save_whole_table(stored_relation) -%}
    {%- for column in added -%}
        {%- do run_query(
            'alter table ' ~ stored_relation ~ ' add column '
            ~ adapter.quote(column.name | lower) ~ ' ' ~ column.dtype
        ) -%}
    {%- endfor -%}
    {%- for name in removed -%}
        {%- do run_query('alter table ' ~ stored_relation ~ ' drop column ' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {{ log(stored_relation.identifier ~ ": columns synced to the model (added: "
        ~ (added | map(attribute='name') | map('lower') | join(', ') or 'none') ~ "; removed: "
        ~ (removed | join(', ') or 'none') ~ ")", info=true) }}
{%- endmacro %}
