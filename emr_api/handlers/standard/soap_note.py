"""Standard API: /patient/{pid}/encounter/{eid}/soap_note, OpenEMR's form_soap of one
encounter (`eid` is the encounter's number, as in OpenEMR's routes). The row shape and the
answers are those of every encounter form (`FormOperations` in vital.py)."""

from emr_api.handlers.standard.vital import FormOperations
from emr_api.services import encounter_forms

_ops = FormOperations(encounter_forms.SOAP_NOTES, "soap_note")
search_soap_notes = _ops.search
get_soap_note = _ops.get
create_soap_note = _ops.create
update_soap_note = _ops.update
