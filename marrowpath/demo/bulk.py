"""Generated cases for performance work."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from marrowpath.demo.diagnoses import (
    AmlKind,
    Lymphoma,
    MdsKind,
    NormalSetting,
    Primary,
    aml_marrow,
    aml_remission_marrow,
    aplastic_marrow,
    cll_marrow,
    cml_marrow,
    lymphoma_staging_marrow,
    mds_marrow,
    metastatic_marrow,
    myelofibrosis_marrow,
    myeloma_marrow,
    myeloma_response_marrow,
    normal_marrow,
    post_transplant_marrow,
)
from marrowpath.demo.documents import CaseContext, addendum_text, hold_back
from marrowpath.demo.model import (
    DemoCase,
    DemoStep,
    Json,
    addendum_step,
    amend_step,
    final_step,
    preliminary_step,
)
from marrowpath.demo.people import (
    DEMO_PATHOLOGISTS,
    DEMO_PROVIDERS,
    DEMO_RESIDENT,
    HEMATOLOGY,
    HEMATOLOGY_2,
    LYMPHOMA,
    MEDICINE,
    MYELOMA,
    ONCOLOGY,
    OPERATORS,
    TRANSPLANT,
)
from marrowpath.domain.lifecycle import AmendmentReason


def _patient(mrn: str, family: str, given: str, born: str, sex: str) -> dict[str, str]:
    return {"mrn": mrn, "family_name": family, "given_names": given, "birth_date": born, "sex": sex}


_FEMALE_GIVEN = (
    "Anna", "Chloé", "Dorota", "Elena", "Fatima", "Grace", "Hana", "Ingrid",
    "Mónica", "Noémie", "Olivia", "Priyanka", "Renée", "Sarah", "Yuki", "Zofia",
)  # fmt: skip
_MALE_GIVEN = (
    "Ahmed", "André", "Benjamin", "Carlos", "David", "François", "Hiroshi", "Jörg",
    "Kwame", "Lars", "Miguel", "Omar", "Paweł", "Raúl", "Søren", "William",
)  # fmt: skip
_FAMILY = (
    "Anderson", "Brown", "Chen", "Dubois", "Ferreira", "García", "Hansen", "Jones",
    "Kim", "Kowalski", "López", "Martin", "Müller", "Nguyen", "Novák", "O'Connor",
    "Okafor", "Østergaard", "Patel", "Rossi", "Schmidt", "Tanaka", "Thompson", "Walsh",
    "Wiśniewski", "Yılmaz", "Zhang",
)  # fmt: skip
_BIRTH_ANCHOR = 2025  # fixed, so a bulk patient's birth date does not depend on `today`

_BulkBuild = Callable[[random.Random, CaseContext, int, int], Json]


@dataclass(frozen=True)
class _Template:
    """A diagnosis family for bulk cases: how common it is, who orders it, the patients'
    ages, and how many biopsies a patient may have (stage 0 is the diagnostic marrow,
    later stages follow treatment)."""

    weight: int
    providers: tuple[int, ...]
    build: _BulkBuild
    max_cases: int
    ages: tuple[int, int]


def _cellularity_for_age(rng: random.Random, ctx: CaseContext) -> int:
    return max(10, min(90, 5 * round((100 - ctx.age + rng.randint(-8, 8)) / 5)))


def _bulk_normal(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    setting: NormalSetting = "anemia" if variant % 2 else "thrombocytopenia"
    if ctx.age < 60 and variant % 5 == 0:
        setting = "donor"
    return normal_marrow(
        ctx,
        setting=setting,
        cellularity=_cellularity_for_age(rng, ctx),
        iron_grade=rng.choice((0, 1, 2, 2, 3, 3, 4, 5)),
    )


def _bulk_aml(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    kind: AmlKind = "npm1" if variant % 3 else "mr"
    if stage == 0 or (stage == 2 and variant % 2):
        return aml_marrow(
            ctx,
            kind=kind,
            blasts=rng.randrange(105, 420),
            cellularity=rng.choice((80, 85, 90, 95)),
            relapse=stage > 0,
            auer_rods=kind == "mr" and rng.random() < 0.25,
        )
    if stage == 1:
        return aml_remission_marrow(
            ctx,
            blasts=rng.randrange(2, 20),
            cellularity=rng.choice((15, 20, 25, 30, 40)),
            when="day 28 after induction chemotherapy",
            npm1=kind == "npm1",
        )
    return post_transplant_marrow(
        ctx,
        days_after=100 if stage == 2 else 365,
        disease="acute myeloid leukemia",
        cellularity=_cellularity_for_age(rng, ctx),
        chimerism=rng.choice((92, 97, 98, 99, 100, 100)),
    )


def _bulk_mds(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    if stage:
        return post_transplant_marrow(
            ctx,
            days_after=100 if stage == 1 else 365,
            disease="myelodysplastic neoplasm",
            cellularity=_cellularity_for_age(rng, ctx),
            chimerism=rng.choice((94, 98, 99, 100)),
        )
    kind: MdsKind = ("ib1", "ib2", "sf3b1")[variant % 3]
    if kind == "ib1":
        blasts, ring = rng.randrange(25, 50), rng.randrange(0, 5)
    elif kind == "ib2":
        blasts, ring = rng.randrange(50, 96), rng.randrange(0, 5)
    else:
        blasts, ring = rng.randrange(2, 20), rng.randrange(15, 61)
    return mds_marrow(
        ctx,
        kind=kind,
        blasts=blasts,
        ring_sideroblasts=ring,
        cellularity=rng.choice(range(40, 95, 5)),
    )


def _bulk_myeloma(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    if stage:
        return myeloma_response_marrow(
            ctx,
            plasma_pct=rng.randrange(1, 5),
            when=(
                "after induction therapy",
                "day +100 after autologous stem cell transplantation",
                "on lenalidomide maintenance",
            )[min(stage, 3) - 1],
            mrd=rng.choice((None, None, 0.003, 0.01, 0.05)),
            cellularity=_cellularity_for_age(rng, ctx),
        )
    plasma = rng.randrange(15, 91)
    return myeloma_marrow(
        ctx,
        plasma_pct=plasma,
        aspirate_plasma=plasma * 5 * rng.randint(50, 90) // 100,
        light_chain="lambda" if variant % 3 == 0 else "kappa",
        heavy_chain=("IgG", "IgG", "IgA")[variant % 3],
        cellularity=rng.choice(range(50, 95, 5)),
        active=plasma >= 20 or variant % 4 != 0,
    )


def _bulk_lymphoma(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    lymphoma: Lymphoma = ("follicular", "dlbcl", "hodgkin")[variant % 3]
    cellularity = _cellularity_for_age(rng, ctx)
    if stage:
        return lymphoma_staging_marrow(
            ctx, lymphoma=lymphoma, involved=False, cellularity=cellularity, end_of_treatment=True
        )
    involved = lymphoma != "hodgkin" and rng.random() < 0.4
    return lymphoma_staging_marrow(
        ctx,
        lymphoma=lymphoma,
        involved=involved,
        percent=rng.randrange(5, 45) if involved else 0,
        cellularity=cellularity,
    )


def _bulk_aplastic(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    if stage:
        return aplastic_marrow(ctx, cellularity=rng.choice((15, 20, 25)), after_treatment=True)
    return aplastic_marrow(ctx, cellularity=rng.choice((5, 5, 10)))


def _bulk_myelofibrosis(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    return myelofibrosis_marrow(
        ctx, cd34_pct=rng.choice((1, 2, 3, 4)), cellularity=rng.choice(range(40, 90, 5))
    )


def _bulk_metastatic(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    primary: Primary = "lung"
    if variant % 3:
        primary = "breast" if ctx.patient["sex"] == "female" else "prostate"
    return metastatic_marrow(
        ctx,
        primary=primary,
        percent=rng.randrange(20, 80),
        cellularity=rng.choice(range(20, 60, 5)),
    )


def _bulk_cml(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    if stage:
        return cml_marrow(
            ctx,
            blasts=rng.randrange(2, 9),
            cellularity=_cellularity_for_age(rng, ctx),
            followup=True,
        )
    return cml_marrow(ctx, blasts=rng.randrange(3, 45), cellularity=rng.choice((90, 95, 100)))


def _bulk_cll(rng: random.Random, ctx: CaseContext, stage: int, variant: int) -> Json:
    lymphocytes = rng.randrange(150, 400)
    return cll_marrow(
        ctx,
        lymphocytes=lymphocytes,
        percent=5 * round(lymphocytes / 25),
        cellularity=rng.choice(range(50, 95, 5)),
        pattern=("interstitial", "nodular", "diffuse")[variant % 3],
    )


_TEMPLATES: tuple[_Template, ...] = (
    _Template(24, (HEMATOLOGY, HEMATOLOGY_2, MEDICINE, TRANSPLANT), _bulk_normal, 1, (18, 90)),
    _Template(14, (LYMPHOMA, ONCOLOGY), _bulk_lymphoma, 2, (20, 85)),
    _Template(12, (HEMATOLOGY, TRANSPLANT), _bulk_aml, 4, (25, 80)),
    _Template(12, (HEMATOLOGY, HEMATOLOGY_2), _bulk_mds, 3, (50, 90)),
    _Template(12, (MYELOMA,), _bulk_myeloma, 4, (45, 85)),
    _Template(6, (HEMATOLOGY_2,), _bulk_cll, 1, (50, 88)),
    _Template(5, (HEMATOLOGY,), _bulk_cml, 3, (25, 75)),
    _Template(5, (ONCOLOGY,), _bulk_metastatic, 1, (40, 85)),
    _Template(4, (HEMATOLOGY,), _bulk_myelofibrosis, 1, (50, 85)),
    _Template(3, (HEMATOLOGY_2,), _bulk_aplastic, 2, (18, 65)),
)
_TEMPLATE_WEIGHTS = [t.weight for t in _TEMPLATES]

_CLOSED = ("final", "appended", "amended", "entered_in_error", "cancelled")
_CLOSED_WEIGHTS = (80, 9, 5, 1, 1)
_WBC_PARTS = ("wbc_10e9_l", "anc_10e9_l", "alc_10e9_l", "monocytes_10e9_l")
_WHOLE_COUNTS = ("platelets_10e9_l", "reticulocytes_10e9_l")


def _jitter_cbc(doc: Json, rng: random.Random) -> None:
    """Vary the template's blood count a little. The white cell count and its parts move
    together so the differential still adds up; blood blasts stay as the smear text says."""
    cbc = doc["clinical"]["cbc"]
    white = rng.uniform(0.85, 1.15)
    for key, value in cbc.items():
        if key in ("date", "pb_blasts_pct"):
            continue
        factor = white if key in _WBC_PARTS else rng.uniform(0.9, 1.1)
        scaled = value * factor
        if key in _WHOLE_COUNTS:
            cbc[key] = round(scaled)
        else:
            cbc[key] = round(scaled, 1 if scaled >= 1 else 2)


def _bulk_document(
    template: _Template, rng: random.Random, ctx: CaseContext, stage: int, variant: int
) -> Json:
    doc = template.build(rng, ctx, stage, variant)
    _jitter_cbc(doc, rng)
    return doc


def _schedule(rng: random.Random, template: _Template) -> list[tuple[int, int, bool]]:
    """(days before today, stage, still open) for one patient's biopsies, oldest first.
    Only a patient's latest biopsy may be recent and still a draft or preliminary."""
    days = rng.randint(60, 730)
    schedule: list[tuple[int, int, bool]] = []
    for stage in range(rng.randint(1, template.max_cases)):
        if stage:
            days -= rng.randint(28, 150)
        if days < 21:
            break
        schedule.append((days, stage, False))
    if rng.random() < 0.12:
        _, stage, _ = schedule[-1]
        schedule[-1] = (rng.randint(1, 20), stage, True)
    return schedule


def _correct(doc: Json, choice: int) -> tuple[AmendmentReason, str]:
    """Make a plausible correction to a rebuilt copy of a signed document."""
    procedure = doc["procedure"]
    if choice == 0 and procedure["laterality"] in ("left", "right"):
        recorded = procedure["laterality"]
        actual = "left" if recorded == "right" else "right"
        procedure["laterality"] = actual
        return AmendmentReason.REPORT_DEFECT, (
            f"Procedure laterality was recorded as {recorded}; the procedure note documents the "
            f"{actual} side. Corrected; findings and diagnosis unchanged."
        )
    if choice == 1:
        wrong = doc["ordering_provider"]["name"]
        index = HEMATOLOGY_2 if wrong != DEMO_PROVIDERS[HEMATOLOGY_2]["name"] else HEMATOLOGY
        doc["ordering_provider"] = dict(DEMO_PROVIDERS[index])
        return AmendmentReason.REPORT_DEFECT, (
            f"The ordering provider was recorded as {wrong}; the order was placed by "
            f"{DEMO_PROVIDERS[index]['name']}. Corrected; findings and diagnosis unchanged."
        )
    doc["copy_to"] = [*doc.get("copy_to", ()), dict(DEMO_PROVIDERS[MEDICINE])]
    return AmendmentReason.OTHER, (
        "Copy of the report added for the primary care physician at the ordering clinician's "
        "request; findings and diagnosis unchanged."
    )


def _bulk_steps(
    state: str, signer: str, doc: Json, corrected: Json | None, rng: random.Random
) -> tuple[DemoStep, ...]:
    """The steps that take a new draft to `state`."""
    if state == "draft":
        return ()
    if state == "preliminary":
        return (preliminary_step(signer),)
    if state == "cancelled":
        before = (preliminary_step(signer),) if rng.random() < 0.5 else ()
        reason = "Duplicate order; the specimen is reported under another accession."
        return (*before, DemoStep("cancel", reason=reason, signer=signer))
    if state == "entered_in_error":
        reason = (
            "Issued on the wrong patient record (specimen mislabelled at the bedside); "
            "withdrawn, to be reissued under the correct patient."
        )
        return (final_step(signer), DemoStep("withdraw", reason=reason, signer=signer))
    if state == "amended" and corrected is not None:
        category, reason = _correct(corrected, rng.randrange(3))
        return (final_step(signer), amend_step(signer, corrected, category, reason))
    if state == "appended":
        day = date.fromisoformat(doc["procedure"]["date"])
        results = hold_back(doc, day + timedelta(days=5))
        if results:
            return (final_step(signer), addendum_step(signer, addendum_text(results), results))
    if rng.random() < 0.1:
        return (preliminary_step(signer), final_step(signer))
    return (final_step(signer),)


def bulk_cases(
    count: int, *, today: date, seed: int = 1, start_number: int = 50000
) -> Iterator[DemoCase]:
    """`count` plausible cases, the same ones for the same arguments, built directly as
    dicts (no deep copies) so that 100,000 take seconds.

    Patients have 1-4 biopsies with MRNs "DM" + 8 digits counted from `start_number`;
    accessions are BMYY-NNNNN per procedure year, also counted from `start_number`, above
    the showcase numbers. Runs with non-overlapping ranges (start_number + count) can be
    loaded into one database without clashes. Most cases are final; the rest are drafts
    and preliminaries (recent), amended, appended, withdrawn and cancelled."""
    rng = random.Random(seed)
    numbers: dict[int, int] = {}
    made = 0
    patients = 0
    while made < count:
        template = rng.choices(_TEMPLATES, weights=_TEMPLATE_WEIGHTS)[0]
        female = rng.random() < 0.5
        low, high = template.ages
        born = date(_BIRTH_ANCHOR - rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
        patient = _patient(
            f"DM{start_number + patients:08d}",
            rng.choice(_FAMILY),
            rng.choice(_FEMALE_GIVEN if female else _MALE_GIVEN),
            born.isoformat(),
            "female" if female else "male",
        )
        patients += 1
        variant = rng.randrange(60)
        for days_ago, stage, still_open in _schedule(rng, template):
            day = today - timedelta(days=days_ago)
            number = numbers.get(day.year, start_number)
            numbers[day.year] = number + 1
            roll = rng.random()
            ctx = CaseContext(
                accession=f"BM{day.year % 100:02d}-{number:05d}",
                day=day,
                patient=patient,
                provider=DEMO_PROVIDERS[rng.choice(template.providers)],
                operator=rng.choice(OPERATORS),
                laterality="bilateral" if roll < 0.04 else ("left" if roll < 0.45 else "right"),
                core_mm=float(rng.randint(10, 28)),
            )
            if still_open:
                state = "draft" if rng.random() < 0.6 else "preliminary"
            else:
                state = rng.choices(_CLOSED, weights=_CLOSED_WEIGHTS)[0]
            # An amendment needs the document twice (as signed, then corrected): build both
            # from one seed rather than deep-copying.
            case_seed = rng.getrandbits(32)
            if state == "amended":
                doc = _bulk_document(template, random.Random(case_seed), ctx, stage, variant)
                corrected = _bulk_document(template, random.Random(case_seed), ctx, stage, variant)
            else:
                doc = _bulk_document(template, rng, ctx, stage, variant)
                corrected = None
            signer = rng.choice(DEMO_PATHOLOGISTS)
            steps = _bulk_steps(state, signer, doc, corrected, rng)
            hold_back(doc, today)
            resident = DEMO_RESIDENT if rng.random() < 0.15 else None
            yield DemoCase(doc, steps, signer, resident)
            made += 1
            if made == count:
                return
