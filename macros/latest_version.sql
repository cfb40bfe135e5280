{#- Business tables are append-only: a row delivered again (a status change, a re-export)
    supersedes the earlier one. Select the latest delivery of each key. -#}
{% macro latest_version(table_name, key) -%}
    select *
    from (
        select
            src.*,
            row_number() over (
                partition by trim(src.{{ key }})
                order by src._loaded_at desc, src._row_id desc
            ) as version_rank
        from {{ source('raw', table_name) }} as src
    ) as versions
    where versions.version_rank = 1
{%- endmacro %}
