-- OGRS3 one- and two-year probabilities of proven re-offending (MoJ rsr-calculator coefficients):
-- x = AgeSex + Status + copas * ln(N / (10 + age - age at first sanction)) + OffenceCategory;
-- p = logistic(intercept + x), with age = age at the index conviction (OGRS3 scores the offender's
-- age at the current conviction). The seed holds the adult age-sex bands only: an index conviction
-- before 18 takes the 18-20 band (docs/definitions.md). Null with unknown sex or age.
with coefficients as (
    select * from {{ ref('ogrs3_coefficients') }}
),

constants as (
    select
        max(case when term = 'intercept' and key = 'p1' then coefficient end) as intercept_p1,
        max(case when term = 'intercept' and key = 'p2' then coefficient end) as intercept_p2,
        max(case when term = 'copas' then coefficient end) as copas
    from coefficients
),

scored as (
    select
        inputs.release_id,
        inputs.person_key,
        inputs.sanction_count,
        inputs.age_at_index_conviction,
        inputs.age_at_first_sanction,
        coalesce(inputs.index_ogrs3_category, 'other') as index_ogrs3_category,
        age_sex.coefficient
        + status.coefficient
        + constants.copas * ln(
            inputs.sanction_count
            / (
                10.0 + inputs.age_at_index_conviction
                - least(inputs.age_at_first_sanction, inputs.age_at_index_conviction)
            )
        )
        + coalesce(offence.coefficient, 0) as linear_score,
        constants.intercept_p1,
        constants.intercept_p2
    from {{ ref('int_ogrs3_inputs') }} as inputs
    cross join constants
    left join coefficients as age_sex
        on age_sex.term = 'age_sex'
            and age_sex.sex = case inputs.sex when 'Male' then 'M' when 'Female' then 'F' end
            and greatest(inputs.age_at_index_conviction, 18) between age_sex.age_min and age_sex.age_max
    left join coefficients as status
        on status.term = 'status'
            and status.key = case when inputs.sanction_count <= 1 then 'first' else 'repeat' end
    left join coefficients as offence
        on offence.term = 'offence'
            and offence.key = coalesce(inputs.index_ogrs3_category, 'other')
    where inputs.sanction_count >= 1
)

select
    release_id,
    person_key,
    sanction_count,
    age_at_index_conviction,
    age_at_first_sanction,
    index_ogrs3_category,
    linear_score,
    1 / (1 + exp(-(intercept_p1 + linear_score))) as ogrs3_p1,
    1 / (1 + exp(-(intercept_p2 + linear_score))) as ogrs3_p2,
    round(100 / (1 + exp(-(intercept_p1 + linear_score))), 1) as ogrs3_p1_pct,
    round(100 / (1 + exp(-(intercept_p2 + linear_score))), 1) as ogrs3_p2_pct
from scored
where linear_score is not null
