-- The spine as the patched person-keyed models now reflect it: the next build patches the
-- people of records it moved since. Built after every patched model; its post-hook marks the
-- person build finished (macros/person_builds.sql).
{{ config(post_hook=["{{ person_build_finish() }}"]) }}
-- depends_on: {{ ref('int_oasys_needs') }}
-- depends_on: {{ ref('int_offences') }}
-- depends_on: {{ ref('int_ogrs3_inputs') }}
-- depends_on: {{ ref('int_person') }}
-- depends_on: {{ ref('int_person_records') }}
-- depends_on: {{ ref('int_top_change') }}
-- depends_on: {{ ref('int_treatment_episodes') }}
-- depends_on: {{ ref('int_treatment_journeys') }}
-- depends_on: {{ ref('int_treatment_modalities') }}
select
    record_source,
    record_key,
    person_key
from {{ ref('stg_linkage_spine') }}
