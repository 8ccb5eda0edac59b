-- Deaths recorded in NDTMS (discharge reason 87 'incomplete - died'): the earliest per person.
select
    person_key,
    min(discharge_date) as death_date
from {{ ref('int_treatment_episodes') }}
where died_in_treatment
    and discharge_date is not null
group by person_key
