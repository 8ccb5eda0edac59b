-- Proven re-offences after each release to the community (MoJ conventions): an offence committed
-- on or after the release day and within the 12-month follow-up, proven by a conviction or caution
-- disposed of within 18 months of release (the follow-up plus a 6-month waiting period). Breach
-- offences (breach of a court order) are not re-offences under MoJ's counting rules.
with releases as (
    select
        release_id,
        person_key,
        release_date
    from {{ ref('int_releases') }}
    where is_release_to_community
)

select
    releases.release_id,
    offences.disposal_id,
    releases.person_key,
    releases.release_date,
    offences.offence_date,
    offences.disposal_date,
    offences.disposal_type,
    offences.ho_class,
    offences.is_serious,
    offences.seriousness_score,
    {{ dbt.datediff('releases.release_date', 'offences.offence_date', 'day') }} as days_to_offence
from releases
inner join {{ ref('int_offences') }} as offences
    on releases.person_key = offences.person_key
        and releases.release_date <= offences.offence_date
        and {{ dbt.dateadd('month', var('reoffending_follow_up_months'), 'releases.release_date') }}
        > offences.offence_date
        and {{ dbt.dateadd('month', var('reoffending_follow_up_months') + var('reoffending_waiting_months'), 'releases.release_date') }}
        > offences.disposal_date
        and {{ 'not offences.is_breach' if rule_on('breach_offences') else 'true' }}
