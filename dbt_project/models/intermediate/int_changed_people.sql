-- The people whose rows the person-keyed models must recompute in this build (empty when they
-- are rebuilt in full): people of rows staged since the last person build's as-of month (as
-- linked now, and as the patched models last placed re-delivered episodes, interventions, TOPs
-- and disposals, which may have moved to another record), and both keys of every record the
-- spine moved since the models last reflected it (int_moved_records).
{{ config(post_hook=["{{ person_build_start() }}"]) }}
-- depends_on: {{ ref('stg_pnc_person') }}
-- depends_on: {{ ref('stg_oasys_assessment') }}
-- depends_on: {{ ref('stg_dir_triage') }}
-- depends_on: {{ ref('stg_dir_release') }}
-- depends_on: {{ ref('stg_ndtms_client') }}
-- depends_on: {{ ref('stg_ndtms_episode') }}
-- depends_on: {{ ref('stg_ndtms_modality') }}
-- depends_on: {{ ref('stg_ndtms_top') }}
-- depends_on: {{ ref('stg_pnc_disposal') }}
-- depends_on: {{ ref('stg_rmdt_test') }}
-- depends_on: {{ ref('stg_linkage_spine') }}
-- depends_on: {{ ref('int_moved_records') }}
{%- set as_of = '(select as_of_month from ' ~ ref('int_run_context') ~ ')' %}
{%- set since = person_build_since(as_of, person_build_fingerprint()) %}
{%- if since is none %}
    select cast(null as varchar) as person_key
    where false
{%- else %}
{%- set previous = this.schema ~ '.' %}
with spine as (
    select
        record_source,
        record_key,
        person_key
    from {{ ref('stg_linkage_spine') }}
),

delivered_episodes as (
    select
        episode_id,
        record_key
    from {{ ref('stg_ndtms_episode') }}
    where delivery_month > '{{ since }}'
),

delivered_records as (
    {%- for source, model in [('pnc', 'stg_pnc_person'), ('oasys', 'stg_oasys_assessment'),
        ('dir_triage', 'stg_dir_triage'), ('dir_release', 'stg_dir_release'),
        ('ndtms', 'stg_ndtms_client'), ('rmdt', 'stg_rmdt_test'), ('pnc', 'stg_pnc_disposal')] %}
    select
        '{{ source }}' as record_source,
        record_key
    from {{ ref(model) }}
    where delivery_month > '{{ since }}'
    union all
    {%- endfor %}
    select
        'ndtms' as record_source,
        record_key
    from delivered_episodes
    {%- for model in ['stg_ndtms_modality', 'stg_ndtms_top'] %}
    union all
    select
        'ndtms' as record_source,
        episodes.record_key
    from {{ ref(model) }} as delivered
    inner join {{ ref('stg_ndtms_episode') }} as episodes
        on delivered.episode_id = episodes.episode_id
    where delivered.delivery_month > '{{ since }}'
    {%- endfor %}
),

delivered_tops as (
    select top_id from {{ ref('stg_ndtms_top') }}
    where delivery_month > '{{ since }}'
),

people as (
    select coalesce(now_key, record_key) as person_key from {{ ref('int_moved_records') }}
    union all
    select coalesce(before_key, record_key) from {{ ref('int_moved_records') }}
    union all
    select coalesce(spine.person_key, delivered.record_key)
    from delivered_records as delivered
    left join spine
        on delivered.record_source = spine.record_source
            and delivered.record_key = spine.record_key
    {%- for model, column, staged in [
        ('int_treatment_episodes', 'episode_id', 'stg_ndtms_episode'),
        ('int_treatment_modalities', 'modality_id', 'stg_ndtms_modality'),
        ('int_offences', 'disposal_id', 'stg_pnc_disposal')] %}
    union all
    select person_key from {{ previous ~ model }}
    where {{ column }} in (
        select {{ column }} from {{ ref(staged) }}
        where delivery_month > '{{ since }}'
    )
    {%- endfor %}
    union all
    select person_key from {{ previous }}int_top_change
    where start_top_id in (select delivered_tops.top_id from delivered_tops)
        or review_top_id in (select delivered_tops.top_id from delivered_tops)
)

select distinct person_key
from people
where person_key is not null
{%- endif %}
