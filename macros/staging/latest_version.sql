{#- Business tables are append-only: a row delivered again (a status change, a re-export)
    supersedes the earlier one. Select the latest delivery of each key. -#}
{% macro latest_version(table_name, key) -%}
    select *
    from (
        select
            raw_rows.*,
            row_number() over (
                partition by trim(raw_rows.{{ key }})
                order by raw_rows._loaded_at desc, raw_rows._row_id desc
            ) as version_rank
        from {{ source('raw', table_name) }} as raw_rows
    ) as ranked_rows
    where ranked_rows.version_rank = 1
{%- endmacro %}
