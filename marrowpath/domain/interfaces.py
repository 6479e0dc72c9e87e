"""What the hospital interfaces are given and configured with: destinations, result
requests for the HL7 and FHIR builders, rows for the research export.

The builders in `marrowpath.reports` receive these and return text; they read no
database, socket or clock. The services build them from the stored versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marrowpath.domain.destinations import Destination
from marrowpath.domain.lifecycle import STATUS_AFTER, Status
from marrowpath.domain.versions import IssuedVersion


@dataclass(frozen=True)
class Cancellation:
    """A case cancelled after a preliminary report was sent: why and when."""

    reason: str
    at: datetime
    by: str


@dataclass(frozen=True)
class ResultRequest:
    """One result message (HL7 ORU^R01 or FHIR Bundle) to build.

    Attributes:
        versions -- issued versions 1..N where N is the version sent. Only version N needs
            its PDF (`pdf`); earlier ones give the addenda and the history.
        control_id -- MSH-10 (and the Bundle identifier): unique per message, reused when
            the same message is sent again.
        created_at -- when the message was made (MSH-7, Bundle.timestamp).
        cancellation -- set when the case was cancelled after version N (OBR-25 `X`).
        destination -- the receiver (MSH-5/MSH-6), None for a file export.
        patient_mrn -- the patient's MRN now (after a merge), None for the version's.
    """

    versions: tuple[IssuedVersion, ...]
    control_id: str
    created_at: datetime
    cancellation: Cancellation | None = None
    destination: Destination | None = None
    # the MRN the patient is known by now, when it is not the one the version printed:
    # after a merge, results carry the surviving MRN (PID-3, Patient.identifier)
    patient_mrn: str | None = None

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("a result message needs an issued version")

    @property
    def version(self) -> IssuedVersion:
        return self.versions[-1]

    @property
    def status(self) -> Status:
        if self.cancellation is not None:
            return Status.CANCELLED
        return STATUS_AFTER[self.version.kind]


@dataclass(frozen=True)
class ResearchRow:
    """One issued case in the de-identified export: pseudonyms and its latest version.

    `patient` is the same for every case of one patient (serial biopsies link up) and
    `case` stands for the accession; both are keyed hashes, not identifiers.
    """

    patient: str
    case: str
    version: IssuedVersion
