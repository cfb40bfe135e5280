{#- Generic data tests of the project. There are no dbt packages here (no dbt_utils: no network
    to dbt Hub), so the few generic tests the marts need are written here. Each returns the
    offending rows; a test passes when it returns none. The model is never aliased: with a
    `where` config dbt passes it as an aliased subquery. The SQL is portable between DuckDB and
    MySQL/MariaDB; the one dialect-specific expression (ISO day of week) goes through
    adapter.dispatch with default__ / mysql__ / mariadb__ versions (dbt-mysql 1.7 ships no
    cross-database macros and the `mariadb` adapter type has no parent). -#}

{#- The grain: no two rows share the values of `combination_of_columns`. -#}
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

{#- Counts and amounts are never below zero (NULL passes; see columns_not_null). Either on a
    column, or on a model with `columns`: one query for a list of columns (every count of a mart
    in one test keeps `dbt build` fast); the failing rows are returned whole. -#}
{% test not_negative(model, column_name=none, columns=none) %}
    {%- set cols = [column_name] if column_name is not none else columns %}
    {%- if not cols %}
        {{ exceptions.raise_compiler_error("not_negative needs a column or `columns`") }}
    {%- endif %}
    select *
    from {{ model }}
    where
        {%- for col in cols %}
        {% if not loop.first %}or {% endif %}{{ col }} < 0
        {%- endfor %}
{% endtest %}

{#- None of `columns` is NULL: one query for a list of columns (dense marts hold zeros, never
    NULL). The failing rows are returned whole. -#}
{% test columns_not_null(model, columns) %}
    select *
    from {{ model }}
    where
        {%- for col in columns %}
        {% if not loop.first %}or {% endif %}{{ col }} is null
        {%- endfor %}
{% endtest %}

{#- A relationships test over several columns: every combination of `columns` found in the
    model (NULLs included) exists as a row of `to` (columns `to_columns`, default the same
    names), e.g. (channel, device_type) -> int_slices, (dimension, dimension_value) ->
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

{#- The column lies in [min_value, max_value] (bounds inclusive; either may be omitted).
    Error only when the bounds follow from a definition (an hour is 0-23, the per-view
    clamp); a plausibility range (avg_visit_duration <= 86400) is configured
    `severity: warn` where it is used. -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
    {%- if min_value is none and max_value is none %}
        {{ exceptions.raise_compiler_error("value_between needs min_value or max_value") }}
    {%- endif %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where
        {%- if min_value is not none %}
        {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %}
        or
        {%- endif %}
        {%- if max_value is not none %}
        {{ column_name }} > {{ max_value }}
        {%- endif %}
{% endtest %}

{#- Dense grids: every group of `group_by_columns` has exactly the expected number of rows,
    either a constant (`expected`) or the row count of another relation (`expected_from`, e.g.
    ref('int_slices'): the 30 channel x device_type slices today, more when a seed grows)
    times `multiplier` (e.g. 24 hours). -#}
{% test rows_per_group(model, group_by_columns, expected=none, expected_from=none, multiplier=1) %}
    {%- if (expected is none) == (expected_from is none) %}
        {{ exceptions.raise_compiler_error("rows_per_group needs exactly one of expected / expected_from") }}
    {%- endif %}
    with

    groups_ as (
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

    expected_ as (
        {%- if expected_from is not none %}
        select {{ multiplier }} * count(*) as n_expected from {{ expected_from }}
        {%- else %}
        select {{ expected }} * {{ multiplier }} as n_expected
        {%- endif %}
    )

    select
        g.*,
        e.n_expected
    from groups_ as g
    cross join expected_ as e
    where g.n_rows <> e.n_expected
{% endtest %}

{#- Row-wise order of two columns: column <= other_column (e.g. the member part of the
    cumulative deductions against the cumulative over every service type: plausible, not
    guaranteed, since a refund may exceed its deduction, so it warns). -#}
{% test column_not_greater_than(model, column_name, other_column) %}
    select
        {{ column_name }} as failing_value,
        {{ other_column }} as other_value
    from {{ model }}
    where {{ column_name }} > {{ other_column }}
{% endtest %}

{#- A period key is the first day of its period: an ISO week starts on Monday (ISO day of
    week 1), a month on day 1. -#}
{% test is_period_start(model, column_name, period) %}
    {%- if period not in ('week', 'month') %}
        {{ exceptions.raise_compiler_error("is_period_start: period must be week or month, got " ~ period) }}
    {%- endif %}
    select {{ column_name }} as failing_value
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if period == 'week' %}
        and {{ bizstats.iso_day_of_week(column_name) }} <> 1
        {%- else %}
        and extract(day from {{ column_name }}) <> 1
        {%- endif %}
{% endtest %}

{#- ISO day of week of a date: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'bizstats')(date_expr)) }}
{%- endmacro %}
{% macro default__iso_day_of_week(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}
{% macro mysql__iso_day_of_week(date_expr) -%}
    (weekday({{ date_expr }}) + 1)
{%- endmacro %}
{% macro mariadb__iso_day_of_week(date_expr) -%}
    {{ mysql__iso_day_of_week(date_expr) }}
{%- endmacro %}
