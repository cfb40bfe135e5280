{#- Normalises an enum column against its value list, which lives once, in a seed
    (`breakdown_values` or `enum_values`: one row per dimension x dimension_value).
    Left-joins the rows of list `dimension` of `values_relation` as `alias`, matched on
    lower(trim(`column`)); the model then selects coalesce(<alias>.dimension_value, 'other'):
    the value when the list holds it, else (an unknown value, NULL) 'other'. A value added to
    the seed is kept from the next build on, without editing SQL. -#}
{% macro join_enum_values(column, values_relation, dimension, alias) -%}
left join {{ values_relation }} as {{ alias }}
    on
        {{ alias }}.dimension = '{{ dimension }}'
        and lower(trim({{ column }})) = {{ alias }}.dimension_value
{%- endmacro %}
