{#- Signed movements of the cumulative deduction amounts whose own time falls on the local
    days [start, end] (either bound may be none: unbounded): successful deductions count +amount on
    deducted_at; successful refunds of successful deductions count -amount on refunded_at.
    Columns: user_id, movement_at, service_type, signed_amount. -#}
{% macro deduction_movements(start, end) -%}
    select
        d.user_id,
        d.deducted_at as movement_at,
        d.service_type,
        d.amount as signed_amount
    from {{ ref('stg_deductions') }} as d
    where d.status = 'success' and {{ local_days_between('d.deducted_at', start, end) }}

    union all

    select
        d.user_id,
        rf.refunded_at as movement_at,
        d.service_type,
        -rf.amount as signed_amount
    from {{ ref('stg_refunds') }} as rf
    inner join {{ ref('stg_deductions') }} as d on rf.deduction_id = d.deduction_id
    where
        rf.status = 'success'
        and d.status = 'success'
        and {{ local_days_between('rf.refunded_at', start, end) }}
{%- endmacro %}

{#- Attach the user's acquisition slice (missing users: other/other). `rows_sql` must expose
    user_id; adds channel and device_type. -#}
{% macro with_user_slice(rows_sql) -%}
    select
        fr.*,
        coalesce(u.channel, 'other') as channel,
        coalesce(u.device_type, 'other') as device_type
    from ({{ rows_sql }}) as fr
    left join {{ ref('stg_users') }} as u on fr.user_id = u.user_id
{%- endmacro %}
