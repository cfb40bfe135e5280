{#- Generic test on daily_breakdowns: the grid is dense over the listed values — for each
    (stat_date, channel, device_type) of the model, every value the seed `values` lists for a
    breakdown dimension of the registry (breakdown_dimension_registry) has its row, and a
    dimension with listed values has no other value (an unlisted one counts as `other`). A
    dimension without rows in the seed keeps the values it meets, and is not tested here.
    Returns the missing rows and the unlisted values. -#}
{% test breakdowns_cover_listed_values(model, values) %}
    {%- set names = breakdown_dimension_registry() | map(attribute='name') | list %}
    with

    listed as (
        select
            seed_rows.dimension,
            seed_rows.dimension_value
        from {{ values }} as seed_rows
        where seed_rows.dimension in ('{{ names | join("', '") }}')
    ),

    slices as (
        select distinct
            stat_date,
            channel,
            device_type
        from {{ model }}
    ),

    found as (
        select
            stat_date,
            channel,
            device_type,
            dimension,
            dimension_value
        from {{ model }}
    )

    select
        'listed value missing' as failure,
        slices.stat_date,
        slices.channel,
        slices.device_type,
        listed.dimension,
        listed.dimension_value
    from slices
    cross join listed
    left join found
        on
            slices.stat_date = found.stat_date
            and slices.channel = found.channel
            and slices.device_type = found.device_type
            and listed.dimension = found.dimension
            and listed.dimension_value = found.dimension_value
    where found.stat_date is null

    union all

    select
        'value not listed' as failure,
        found.stat_date,
        found.channel,
        found.device_type,
        found.dimension,
        found.dimension_value
    from found
    where
        found.dimension in (select listed.dimension from listed)
        and not exists (
            select 1 as matching_row
            from listed
            where listed.dimension = found.dimension and listed.dimension_value = found.dimension_value
        )
{% endtest %}
