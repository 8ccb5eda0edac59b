{#- Standard display values for the breakdowns in docs/indicator-table.md. -#}
{% macro sex_label(code) -%}
    case upper(trim({{ code }})) when 'M' then 'Male' when 'F' then 'Female' else 'Unknown' end
{%- endmacro %}

{% macro clean_code(expr) -%}
    nullif(upper(trim(cast({{ expr }} as varchar))), '')
{%- endmacro %}

{#- Rank of each delivered version of an id, 1 = latest delivery (then latest file and row). -#}
{% macro version_rank(id_columns) -%}
    row_number() over (
        partition by {{ id_columns | join(', ') }}
        order by _delivery_month desc, _source_file desc, _row_number desc
    )
{%- endmacro %}

{#- The latest delivered version (version_rank 1) of each id of a raw table, delivered by the
    as-of month, with the table's columns. Only ids delivered more than once are ranked: ranking
    sorts every row by its id, and in a national build almost every id arrives once. Only the
    months of the build's window are read (staging_window: all months on a full build). -#}
{% macro latest_versions(relation, id_columns) -%}
    {%- set matches -%}
        {%- for column in id_columns -%}
            {{ ' and ' if not loop.first }}repeated.{{ column }} is not distinct from candidate.{{ column }}
        {%- endfor -%}
    {%- endset %}
    {%- set delivered = staging_window() %}
    select * from (
        with repeated as (
            select {{ id_columns | join(', ') }}
            from {{ relation }}
            where {{ delivered }}
            group by {{ id_columns | join(', ') }}
            having count(*) > 1
        )

        select candidate.*
        from {{ relation }} as candidate
        where {{ delivered }}
            and not exists (select 1 from repeated where {{ matches }})
        union all
        select * exclude (version_rank)
        from (
            select
                candidate.*,
                {{ version_rank(id_columns) }} as version_rank
            from {{ relation }} as candidate
            where {{ delivered }}
                and exists (select 1 from repeated where {{ matches }})
        ) as ranked
        where version_rank = 1
    ) as latest
{%- endmacro %}
