{#- Generic test: the grain — no two rows share the values of `combination_of_columns`.
    There are no dbt packages here (no dbt_utils: no network to dbt Hub), so the few generic
    tests the marts need live in this folder, one per file. Each returns the offending rows
    and passes when it returns none. The model is never aliased: with a `where` config dbt
    passes it as an aliased subquery. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {%- for col in combination_of_columns %}
        {{ col }},
        {%- endfor %}
        count(*) as n_records
    from {{ model }}
    group by
        {%- for col in combination_of_columns %}
        {{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    having count(*) > 1
{% endtest %}
