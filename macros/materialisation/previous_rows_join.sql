{#- LEFT JOIN of the model's own stored table (`this`) as `stored_rows`, on `key_columns`
    (nothing on a first build or a full refresh). -#}
{% macro previous_rows_join(new_rows, stored_rows, key_columns) -%}
    {%- if is_incremental() %}
    left join {{ this }} as {{ stored_rows }}
        on
        {%- for col in key_columns %}
            {% if not loop.first %}and {% endif %}{{ new_rows }}.{{ col }} = {{ stored_rows }}.{{ col }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
