{#- Generic test for dense grids: every group of `group_by_columns` has exactly the expected
    number of rows, either a constant (`expected`) or the row count of another relation
    (`expected_from`, e.g. ref('int_slices'): the 30 channel x device_type slices today, more
    when a seed grows) times `multiplier` (e.g. 24 hours). -#}
{% test rows_per_group(model, group_by_columns, expected=none, expected_from=none, multiplier=1) %}
    {%- if (expected is none) == (expected_from is none) %}
        {{ exceptions.raise_compiler_error("rows_per_group needs exactly one of expected / expected_from") }}
    {%- endif %}
    with

    group_sizes as (
        select
            {%- for col in group_by_columns %}
            {{ col }},
            {%- endfor %}
            count(*) as n_rows
        from {{ model }}
        group by
            {%- for col in group_by_columns %}
            {{ col }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ),

    expected_size as (
        {%- if expected_from is not none %}
        select {{ multiplier }} * count(*) as n_expected from {{ expected_from }}
        {%- else %}
        select {{ expected }} * {{ multiplier }} as n_expected
        {%- endif %}
    )

    select
        group_sizes.*,
        expected_size.n_expected
    from group_sizes
    cross join expected_size
    where group_sizes.n_rows <> expected_size.n_expected
{% endtest %}
