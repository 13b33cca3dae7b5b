"""Validate FHIR JSON with two maintained model libraries, for the FHIR tests.

* :func:`r4b_validate` builds a resource through the ``fhir.resources`` R4B pydantic model of its type (R4B
  left CodeSystem, ValueSet, ConceptMap, CapabilityStatement, Parameters ... as R4 had them) and then checks
  every coded element that has a required binding against the codes the library publishes for it
  (``enum_values``): the models record those value sets but do not enforce them.
* :func:`r4_validate` builds it through ``fhirclient``'s models, generated from FHIR 4.0.1, which refuse an
  unknown element, a missing required one and a wrong type.
"""

from __future__ import annotations

from typing import Any


def _check_codes(model: Any, path: str, problems: list[str]) -> None:
    from pydantic import BaseModel

    if isinstance(model, list):
        for i, item in enumerate(model):
            _check_codes(item, f"{path}[{i}]", problems)
        return
    if not isinstance(model, BaseModel):
        return
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        allowed = extra.get("enum_values")
        if allowed and isinstance(value, str) and value not in allowed:
            problems.append(f"{path}.{name}: {value!r} is not one of {allowed}")
        _check_codes(value, f"{path}.{name}", problems)


def r4b_validate(resource: dict) -> Any:
    """The fhir.resources R4B model of *resource*; raises on a structural error or a code outside its binding."""
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    problems: list[str] = []
    _check_codes(model, resource["resourceType"], problems)
    if problems:
        raise ValueError("; ".join(problems[:10]))
    return model


def r4_validate(resource: dict) -> Any:
    """The fhirclient (FHIR 4.0.1) model of *resource*; raises FHIRValidationError when it is not valid R4."""
    from fhirclient.models import fhirelementfactory

    return fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], resource)


def validate(resource: dict) -> Any:
    """Both validations; the R4B model is returned."""
    r4_validate(resource)
    return r4b_validate(resource)
