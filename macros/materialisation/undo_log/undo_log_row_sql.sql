{#- INSERT of one bizstats_build_undo row: `kind` rows, table or absent. -#}
{% macro undo_log_row_sql(relation, build_id, kind, key_columns=[]) -%}
    insert into {{ relation.incorporate(path={'identifier': 'bizstats_build_undo'}) }}
        (build_id, model, kind, key_columns)
    values ('{{ build_id }}', '{{ relation.identifier }}', '{{ kind }}', '{{ key_columns | join(",") }}')
{%- endmacro %}
