-- The records whose person the spine changed since int_people_built (the spine the patched
-- person-keyed models last reflected), with their person before and now: new records (no
-- person before), withdrawn ones (none now) and records linkage moved. Empty when the patched
-- models are rebuilt in full (macros/person_builds.sql). int_changed_people recomputes both
-- people of each; int_people_built applies the moves to itself.
-- depends_on: {{ ref('stg_linkage_spine') }}
{%- set as_of = '(select as_of_month from ' ~ ref('int_run_context') ~ ')' %}
{%- set since = person_build_since(as_of, person_build_fingerprint()) %}
{%- if since is none %}
    select
        cast(null as varchar) as record_source,
        cast(null as varchar) as record_key,
        cast(null as varchar) as now_key,
        cast(null as varchar) as before_key
    where false
{%- else %}
    select
        coalesce(now.record_source, before.record_source) as record_source,
        coalesce(now.record_key, before.record_key) as record_key,
        now.person_key as now_key,
        before.person_key as before_key
    from {{ ref('stg_linkage_spine') }} as now
    full outer join {{ this.schema }}.int_people_built as before
        on now.record_source = before.record_source
            and now.record_key = before.record_key
    where now.person_key is distinct from before.person_key
{%- endif %}
