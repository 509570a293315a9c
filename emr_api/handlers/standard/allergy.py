"""Standard API: /allergy and /patient/{puuid}/allergy, OpenEMR's `lists` rows of type
`allergy` (the row shape and the answers are in issue.py)."""

from emr_api.handlers.standard.issue import IssueOperations
from emr_api.services import lists

_ops = IssueOperations(lists.ALLERGY, "allergy")
search_allergies = _ops.search
get_allergy = _ops.get
search_patient_allergies = _ops.search_of_patient
get_patient_allergy = _ops.get_of_patient
create_allergy = _ops.create
update_allergy = _ops.update
delete_allergy = _ops.delete
