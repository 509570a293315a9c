"""Standard API: /medical_problem and /patient/{puuid}/medical_problem, OpenEMR's `lists`
rows of type `medical_problem` (the row shape and the answers are in issue.py)."""

from emr_api.handlers.standard.issue import IssueOperations
from emr_api.services import lists

_ops = IssueOperations(lists.MEDICAL_PROBLEM, "medical_problem")
search_medical_problems = _ops.search
get_medical_problem = _ops.get
search_patient_medical_problems = _ops.search_of_patient
get_patient_medical_problem = _ops.get_of_patient
create_medical_problem = _ops.create
update_medical_problem = _ops.update
delete_medical_problem = _ops.delete
