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
