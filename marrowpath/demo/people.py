"""The demo's people and laboratory, all fictional."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class DemoUser(TypedDict):
    username: str
    full_name: str
    role: str
    credentials: str | None
    password: str
    # the clinicians order under a demo provider's id: their "My patients"
    provider_id: NotRequired[str]


DEMO_PASSWORD = "marrow-demo-1"


def _user(username: str, full_name: str, role: str, credentials: str | None) -> DemoUser:
    return DemoUser(
        username=username,
        full_name=full_name,
        role=role,
        credentials=credentials,
        password=DEMO_PASSWORD,
    )


DEMO_USERS: list[DemoUser] = [
    _user("admin", "Morgan Ellis", "admin", None),
    _user("achen", "Amelia Chen", "pathologist", "MD"),
    _user("cokafor", "Chinedu Okafor", "pathologist", "MD"),
    _user("slindqvist", "Sofia Lindqvist", "pathologist", "MD"),
    _user("twojcik", "Tomasz Wójcik", "resident", "MD"),
    _user("rkim", "Rosa Kim", "technologist", "MLS(ASCP)"),
    DemoUser(**_user("praman", "Priya Raman", "clinician", "MD"), provider_id="1497758547"),
    DemoUser(**_user("sotieno", "Samuel Otieno", "clinician", "MD"), provider_id="1760443120"),
]
DEMO_PATHOLOGISTS: list[str] = [u["username"] for u in DEMO_USERS if u["role"] == "pathologist"]
DEMO_RESIDENT = "twojcik"

DEMO_LAB: dict[str, str] = {
    "name": "Lakeshore University Hospital, Hematopathology Laboratory",
    "address": "2400 Lakeshore Avenue, Pathology Building C, Room 3.120, Millbrook, OH 43999",
    "phone": "(555) 014-2270",
    "clia_id": "36D0987654",
    "director": "Amelia Chen, MD",
}


def _provider(given: str, family: str, title: str, npi: str, organization: str) -> dict[str, str]:
    return {
        "name": f"{given} {family}, {title}",
        "family_name": family,
        "given_names": given,
        "id": npi,
        "organization": organization,
    }


# The ids look like NPIs but fail the NPI (Luhn) check digit, so none is a real person's.
DEMO_PROVIDERS: list[dict[str, str]] = [
    _provider("Priya", "Raman", "MD", "1497758547", "Hematology Clinic"),
    _provider("Samuel", "Otieno", "MD", "1760443120", "Hematology Clinic"),
    _provider("Elena", "Vasquez", "MD", "1326091875", "Lymphoma Program"),
    _provider("Marcus", "Feldman", "MD", "1588762031", "Blood and Marrow Transplant Program"),
    _provider("Aiko", "Tanaka", "MD", "1942506318", "Myeloma Program"),
    _provider("Rachel", "Adeyemi", "MD", "1053927460", "Internal Medicine"),
    _provider("Thomas", "Berg", "DO", "1215680397", "Medical Oncology"),
]
HEMATOLOGY, HEMATOLOGY_2, LYMPHOMA, TRANSPLANT, MYELOMA, MEDICINE, ONCOLOGY = range(7)

OPERATORS = (
    "Hannah Whitfield, NP",
    "Daniel Reyes, PA-C",
    "Maya Goldstein, MD",
    "Oluwaseun Bakare, NP",
)
