-- The opiate / crack / alcohol codes declared in macros/drugs.sql agree with seeds/drug_groups.csv.
select substance_code, ndtms_group, drug_group
from {{ ref('drug_groups') }}
where (ndtms_group = 'opiate') <> (substance_code in {{ opiate_codes() }})
    or (drug_group = 'crack') <> (substance_code in {{ crack_codes() }})
    or (drug_group = 'alcohol') <> (substance_code in {{ alcohol_codes() }})
