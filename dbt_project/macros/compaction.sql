{#- Rows an incremental model deletes before appending its patch stay in DuckDB's storage until
    the table is rewritten: the warehouse is opened without vacuuming at checkpoints
    (profiles.yml, max_vacuum_tasks 0), because a patch of people spread over a whole table
    made every checkpoint rewrite the table's row groups, every month. A patch instead rewrites
    its table without the rows it replaces once the rows already deleted reach a share of the
    rows stored (var compaction_deleted_share), as a database's autovacuum would. -#}

{% macro delete_or_compact(alias, condition) -%}
    {#- Removes the rows of this model matching `condition` (over `alias`): deletes them, or
        rewrites the table without them when compaction is due. -#}
    {%- if compaction_due() %}
        {%- set compacted = this.incorporate(path={'identifier': this.identifier ~ '__compacted'}) %}
    create or replace table {{ compacted }} as
    select * from {{ this }} as {{ alias }} where ({{ condition }}) is not true;
    drop table {{ this }};
    alter table {{ compacted }} rename to {{ adapter.quote(this.identifier) }}
    {%- else %}
    delete from {{ this }} as {{ alias }} where {{ condition }}
    {%- endif %}
{%- endmacro %}

{% macro compaction_due() -%}
    {#- True when the rows deleted from this table make up at least the compaction share of the
        rows it stores (DuckDB's estimated_size counts deleted rows until the table is rewritten). -#}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        select
            stored.estimated_size > 0
            and stored.estimated_size - (select count(*) from {{ this }})
            >= {{ var('compaction_deleted_share') }} * stored.estimated_size
        from duckdb_tables() as stored
        where
            stored.database_name = '{{ this.database }}'
            and stored.schema_name = '{{ this.schema }}'
            and stored.table_name = '{{ this.identifier }}'
    {%- endset -%}
    {{ return(query_value(query) == true) }}
{%- endmacro %}
