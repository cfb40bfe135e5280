{#- created_at / updated_at of an incremental mart. A rebuilt row keeps its created_at, and its
    updated_at unless one of `value_columns` changed, so re-running a build changes nothing.
    Used together: `keep_timestamps(new_rows, stored_rows, ...)` in the select list over the
    new rows (alias `new_rows`), and `previous_rows_join(new_rows, stored_rows, ...)` after
    their FROM, which joins the model's stored rows as `stored_rows` on `key_columns`. -#}

{#- The created_at and updated_at columns (the run's time on a first build). -#}
{% macro keep_timestamps(new_rows, stored_rows, value_columns, key_columns) -%}
    {%- if is_incremental() -%}
    {#- a value column the stored table lacks yet (a metric just added to the registry, the
        table being altered by this build) is a change -#}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
        if execute else value_columns -%}
    {%- set added = value_columns | reject('in', stored) | list -%}
    coalesce({{ stored_rows }}.created_at, {{ run_timestamp() }}) as created_at,
    case
        when {{ stored_rows }}.{{ key_columns[0] }} is not null
            {%- if added %}
            and 1 = 0
            {%- endif %}
            {%- for col in value_columns if col not in added %}
            and {{ stored_rows }}.{{ col }} = {{ new_rows }}.{{ col }}
            {%- endfor %}
            then {{ stored_rows }}.updated_at
        else {{ run_timestamp() }}
    end as updated_at
    {%- else -%}
    {{ run_timestamp() }} as created_at,
    {{ run_timestamp() }} as updated_at
    {%- endif -%}
{%- endmacro %}
