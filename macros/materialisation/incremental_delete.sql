{#- Overrides dbt-mysql's `incremental_delete` (used by its mysql/mariadb incremental
    materialization; DuckDB never calls it). dbt-mysql deletes with
    `where (key) in (select key from tmp)`, which MariaDB < 11.1 runs as a dependent
    subquery per target row: minutes for a 100k-row table. A multi-table DELETE joining the
    (small) temp table drives from it and uses the target's index on the key, so the cost
    follows the rows being replaced, not the table. It first does what the `replace_range`
    strategy adds (macros/materialisation/get_incremental_replace_range_sql.sql): the column check (under var sync_columns, the
    ALTERs to the new columns, after saving the whole table) and the delete of the build
    range; before them, in a bizstats build, a mart saves the rows it replaces in its undo log
    (macros/materialisation/undo_log/; the undo table's DDL comes first, so its implicit commit ends no
    change of this model). dbt-mysql's incremental_insert reads the stored columns after
    this, so the insert fills the columns just added. -#}
{% macro incremental_delete(tmp_relation, target_relation, unique_key=none, statement_name="pre_main") %}
    {%- set synced = check_columns_unchanged(tmp_relation, target_relation) -%}
    {%- if not synced -%}
        {%- for statement in undo_save_rows_sql(target_relation, tmp_relation, unique_key) -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if config.get('range_column') -%}
        {%- do run_query(range_delete_sql(target_relation)) -%}
    {%- endif -%}
    {%- if unique_key is not none and unique_key | length -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    delete {{ target_relation }}
    from {{ target_relation }}
    inner join (
        select distinct {{ keys | join(', ') }} from {{ tmp_relation }}
    ) as replaced_keys
        on
        {%- for key in keys %}
            {% if not loop.first %}and {% endif %}{{ target_relation }}.{{ key }} = replaced_keys.{{ key }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
