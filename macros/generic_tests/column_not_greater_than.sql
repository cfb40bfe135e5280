{#- Generic test: row-wise order of two columns, column <= other_column (e.g. the member part of
    the cumulative deductions against the cumulative over every service type: plausible, not
    guaranteed, since a refund may exceed its deduction, so it warns). -#}
{% test column_not_greater_than(model, column_name, other_column) %}
    select
        {{ column_name }} as failing_value,
        {{ other_column }} as other_value
    from {{ model }}
    where {{ column_name }} > {{ other_column }}
{% endtest %}
