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
