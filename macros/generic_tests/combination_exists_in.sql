{#- Generic test: a relationships test over several columns — every combination of `columns`
    found in the model (NULLs included) exists as a row of `to` (columns `to_columns`, default
    the same names), e.g. (channel, device_type) -> int_slices, (dimension, dimension_value) ->
    breakdown_values. -#}
{% test combination_exists_in(model, columns, to, to_columns=none) %}
    {%- set parent_cols = to_columns if to_columns is not none else columns %}
    with

    child as (
        select distinct
            {%- for col in columns %}
            {{ col }} as child_{{ loop.index }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ model }}
    ),

    parent as (
        select distinct
            {%- for col in parent_cols %}
            {{ col }} as parent_{{ loop.index }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ to }}
    )

    select child.*
    from child
    left join parent
        on
        {%- for col in columns %}
            {% if not loop.first %}and {% endif %}child.child_{{ loop.index }} = parent.parent_{{ loop.index }}
        {%- endfor %}
    where parent.parent_1 is null
{% endtest %}
