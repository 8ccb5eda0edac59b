-- The spine as the patched person-keyed models now reflect it: the next build patches the
-- people of records it moved since. Built after every patched model; its post-hook marks the
-- person build finished (macros/person_builds.sql). A patched build applies this build's moves
-- (int_moved_records) to it instead of copying the whole spine.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=["{{ people_built_delete() }}"],
    post_hook=["{{ person_build_finish() }}"],
) }}
-- depends_on: {{ ref('int_oasys_needs') }}
-- depends_on: {{ ref('int_offences') }}
-- depends_on: {{ ref('int_ogrs3_inputs') }}
-- depends_on: {{ ref('int_person') }}
-- depends_on: {{ ref('int_person_records') }}
-- depends_on: {{ ref('int_top_change') }}
-- depends_on: {{ ref('int_treatment_episode_spans') }}
-- depends_on: {{ ref('int_treatment_episodes') }}
-- depends_on: {{ ref('int_treatment_journey_spans') }}
-- depends_on: {{ ref('int_treatment_journeys') }}
-- depends_on: {{ ref('int_treatment_modalities') }}
-- depends_on: {{ ref('int_moved_records') }}
{%- if person_patching() %}
    select
        record_source,
        record_key,
        now_key as person_key
    from {{ ref('int_moved_records') }}
    where now_key is not null
{%- else %}
    select
        record_source,
        record_key,
        person_key
    from {{ ref('stg_linkage_spine') }}
{%- endif %}
