{#- Signed movements of the cumulative deduction amounts whose own time falls on the local days
    [start, end] (either bound may be none: unbounded): a successful deduction of `deductions`
    counts +amount on deducted_at; a successful refund of `refunds` of a successful deduction
    counts -amount on refunded_at. Columns: user_id, movement_at, service_type, signed_amount. -#}
{% macro deduction_movements(deductions, refunds, start, end) -%}
    select
        deduction.user_id,
        deduction.deducted_at as movement_at,
        deduction.service_type,
        deduction.amount as signed_amount
    from {{ deductions }} as deduction
    where deduction.status = 'success' and {{ local_days_between('deduction.deducted_at', start, end) }}

    union all

    select
        refunded_deduction.user_id,
        refund.refunded_at as movement_at,
        refunded_deduction.service_type,
        -refund.amount as signed_amount
    from {{ refunds }} as refund
    inner join {{ deductions }} as refunded_deduction on refund.deduction_id = refunded_deduction.deduction_id
    where
        refund.status = 'success'
        and refunded_deduction.status = 'success'
        and {{ local_days_between('refund.refunded_at', start, end) }}
{%- endmacro %}
