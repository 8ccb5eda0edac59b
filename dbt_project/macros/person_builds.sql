{#- Person-keyed models patched for the people a build changed (see person_builds.yml).

    int_changed_people decides, once per build, whether the patched models may be patched (from
    the last finished person build in ops.person_builds, when that is exact; else they rebuild in
    full), lists the people to recompute and logs the decision; each patched model deletes their
    rows and appends them afresh; int_people_built records the spine the models now reflect and
    logs the build as finished. -#}

{#- The vars person-keyed models read: a change to any of them rebuilds the models in full. -#}
{% macro person_build_vars() -%}
    {{ return(['continuity_window_days', 'journey_gap_days', 'reoffending_follow_up_months',
        'reoffending_waiting_months', 'representation_months', 'effective_treatment_days',
        'qualifying_disposal_types', 'breach_ho_classes', 'disabled_rules']) }}
{%- endmacro %}

{% macro person_build_fingerprint() -%}
    {#- The project's model, seed and macro code and the vars above: any change to them may change
        any person's rows, so it forces a full rebuild. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.package_name == project_name and node.resource_type in ['model', 'seed'] -%}
            {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, value in context.items() | sort(attribute=0) -%}
        {%- if value.macro is defined and value.macro.package_name == project_name -%}
            {%- do parts.append(name ~ '=' ~ local_md5(value.macro.macro_sql)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in person_build_vars() -%}
        {%- do parts.append(name ~ '=' ~ tojson(var(name))) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}

{% macro create_person_builds() -%}
    {#- on-run-start: the person builds' log (one row per build that decided a patch; finished_at
        set once every patched model and int_people_built succeeded) and the patched models'
        completions (appended concurrently by their post-hooks). -#}
    create table if not exists ops.person_builds (
        invocation_id varchar,
        as_of_month varchar,
        since_month varchar,
        fingerprint varchar,
        started_at timestamp,
        finished_at timestamp
    );
    create table if not exists ops.person_model_builds (
        invocation_id varchar,
        model varchar,
        finished_at timestamp
    )
{%- endmacro %}

{% macro person_build_since(as_of_expr, fingerprint) -%}
    {#- The as-of month of the last finished person build when patching from it is exact: same
        code and vars, not a later as-of month, the spine it saw still recorded, and every staging
        build since it appended only later months (a full staging rebuild or a re-delivered
        earlier month can change anyone). None otherwise. -#}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = adapter.get_relation(this.database, this.schema, 'int_people_built') -%}
    {%- if built is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with last_build as (
            select as_of_month, fingerprint, started_at
            from ops.person_builds
            where finished_at is not null
            order by finished_at desc
            limit 1
        )

        select last_build.as_of_month
        from last_build
        where
            last_build.fingerprint = '{{ fingerprint }}'
            and last_build.as_of_month <= {{ as_of_expr }}
            and not exists (
                select 1
                from ops.staging_builds as staged
                where
                    staged.started_at > last_build.started_at
                    and (staged.since_month is null or staged.since_month < last_build.as_of_month)
            )
    {%- endset -%}
    {{ return(query_value(query)) }}
{%- endmacro %}

{% macro person_build_start() -%}
    {#- int_changed_people's post-hook: this build's row (the same decision its SQL was compiled
        with: nothing it reads changes in between). -#}
    {%- set fingerprint = person_build_fingerprint() -%}
    {%- set as_of = '(select as_of_month from ' ~ ref('int_run_context') ~ ')' -%}
    {%- set since = person_build_since(as_of, fingerprint) -%}
    delete from ops.person_builds where finished_at is null;
    insert into ops.person_builds
    select
        '{{ invocation_id }}',
        {{ as_of }},
        {{ "null" if since is none else "'" ~ since ~ "'" }},
        '{{ fingerprint }}',
        current_timestamp,
        null
{%- endmacro %}

{% macro person_patch_since() -%}
    {#- This build's patch: the month after which people changed (none: rebuild in full, also
        when int_changed_people was not built in this dbt invocation). -#}
    {%- set changed = ref('int_changed_people') -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(query_value(
        "select since_month from ops.person_builds where invocation_id = '" ~ invocation_id ~ "'"
    )) }}
{%- endmacro %}

{% macro patched_person_models() -%}
    {#- The models tagged person_patched (config person_config); known once the graph is. -#}
    {%- set names = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and 'person_patched' in node.tags -%}
            {%- do names.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{%- endmacro %}

{% macro person_config() -%}
    {#- Config of a person-keyed model patched per build: appended to after its changed people's
        rows are deleted (all rows on a full rebuild); its completion is logged for
        int_people_built. -#}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'sync_all_columns',
        'tags': ['person_patched'],
        'pre_hook': ['{{ person_patch_delete() }}'],
        'post_hook': [
            "insert into ops.person_model_builds values"
            " ('{{ invocation_id }}', '{{ this.identifier }}', current_timestamp)"
        ],
    }) }}
{%- endmacro %}

{% macro person_patch_delete() -%}
    {#- Pre-hook of a patched model: its changed people's rows when patching, every row when
        rebuilding in full over an existing table. -#}
    {%- if is_incremental() %}
    {{ delete_or_compact('patched', changed_people_only('person_key')) }}
    {%- endif %}
{%- endmacro %}

{% macro people_built_delete() -%}
    {#- int_people_built's pre-hook: the rows of records this build moved when patching, every
        row when rebuilding in full over an existing table. -#}
    {%- if person_patching() %}
        {%- set moved -%}
    exists (
        select 1
        from {{ ref('int_moved_records') }} as moved
        where moved.record_source = built.record_source and moved.record_key = built.record_key
    )
        {%- endset %}
    {{ delete_or_compact('built', moved) }}
    {%- elif is_incremental() %}
    delete from {{ this }}
    {%- endif %}
{%- endmacro %}

{% macro person_patching() -%}
    {#- True when this model appends only its changed people's rows in this build (the ref is
        taken unconditionally so that every patched model depends on int_changed_people). -#}
    {%- set changed = ref('int_changed_people') -%}
    {{ return(is_incremental() and person_patch_since() is not none) }}
{%- endmacro %}

{% macro changed_people_only(person_key) -%}
    {#- A filter keeping the rows of people this build changed when patching (true otherwise). -#}
    {%- if person_patching() -%}
        {{ person_key }} in (select changed.person_key from {{ ref('int_changed_people') }} as changed)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro person_build_finish() -%}
    {#- int_people_built's post-hook: the build is finished when int_changed_people and every
        patched model ran in this invocation; otherwise the log is cleared, so the next build
        rebuilds the patched models in full rather than patch from a spine they may not reflect. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set expected = patched_person_models() -%}
    {%- set missing = [] -%}
    {%- for name in expected -%}
        {%- if 'model.' ~ project_name ~ '.' ~ name not in model.depends_on.nodes -%}
            {%- do missing.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ ' must be built after every patched person model: add "-- depends_on: '
            ~ '{{ ref(...) }}" lines for ' ~ missing | join(', ')) }}
    {%- endif -%}
    {%- set query -%}
        select count(distinct model)
        from ops.person_model_builds
        where invocation_id = '{{ invocation_id }}'
    {%- endset -%}
    {%- set done = query_value(query) -%}
    {%- if done == expected | length %}
    update ops.person_builds set finished_at = current_timestamp
    where invocation_id = '{{ invocation_id }}';
    {%- else %}
    delete from ops.person_builds;
    {%- endif %}
    delete from ops.person_model_builds where invocation_id <> '{{ invocation_id }}'
{%- endmacro %}
