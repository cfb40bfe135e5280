{#- created_at / updated_at of incremental marts. A rebuilt row keeps its created_at, and
    its updated_at unless one of `value_columns` changed, so re-running a build changes
    nothing. `alias` is the new rows' alias; the stored rows are joined as `prev_`. -#}
{% macro keep_timestamps(alias, value_columns, key_columns) -%}
    {%- if is_incremental() -%}
    coalesce(prev_.created_at, {{ run_timestamp() }}) as created_at,
    case
        when prev_.{{ key_columns[0] }} is not null
            {%- for col in value_columns %}
            and prev_.{{ col }} = {{ alias }}.{{ col }}
            {%- endfor %}
            then prev_.updated_at
        else {{ run_timestamp() }}
    end as updated_at
    {%- else -%}
    {{ run_timestamp() }} as created_at,
    {{ run_timestamp() }} as updated_at
    {%- endif -%}
{%- endmacro %}

{% macro previous_rows_join(alias, key_columns) -%}
    {%- if is_incremental() %}
    left join {{ this }} as prev_
        on
        {%- for col in key_columns %}
            {% if not loop.first %}and {% endif %}{{ alias }}.{{ col }} = prev_.{{ col }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
