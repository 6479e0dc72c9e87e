"""The enumerations of the case document (`case-format.md`), with the words a report prints."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Indication(StrEnum):
    ABNORMAL_BLOOD_COUNTS = "abnormal_blood_counts"
    SUSPECTED_HEMATOLOGIC_MALIGNANCY = "suspected_hematologic_malignancy"
    CANCER_STAGING = "cancer_staging"
    TREATMENT_MONITORING = "treatment_monitoring"
    POST_TRANSPLANT_EVALUATION = "post_transplant_evaluation"
    DONOR_EVALUATION = "donor_evaluation"
    UNEXPLAINED_FEVER_OR_INFECTION = "unexplained_fever_or_infection"
    OTHER = "other"


class Site(StrEnum):
    POSTERIOR_ILIAC_CREST = "posterior_iliac_crest"
    ANTERIOR_ILIAC_CREST = "anterior_iliac_crest"
    STERNUM = "sternum"
    TIBIA = "tibia"
    OTHER = "other"


class Laterality(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    NOT_APPLICABLE = "not_applicable"


class Sedation(StrEnum):
    NONE = "none"
    LOCAL_ONLY = "local_only"
    CONSCIOUS_SEDATION = "conscious_sedation"
    GENERAL = "general"


class Complication(StrEnum):
    NONE = "none"
    BLEEDING = "bleeding"
    INFECTION = "infection"
    PAIN = "pain"
    OTHER = "other"


class Specimen(StrEnum):
    ASPIRATE_SMEAR = "aspirate_smear"
    CLOT_SECTION = "clot_section"
    CORE_BIOPSY = "core_biopsy"
    TOUCH_IMPRINT = "touch_imprint"
    PERIPHERAL_BLOOD_SMEAR = "peripheral_blood_smear"
    FLOW_CYTOMETRY_SAMPLE = "flow_cytometry_sample"
    CYTOGENETICS_SAMPLE = "cytogenetics_sample"
    MOLECULAR_SAMPLE = "molecular_sample"


class AspirateQuality(StrEnum):
    ADEQUATE = "adequate"
    SUBOPTIMAL = "suboptimal"
    HEMODILUTE = "hemodilute"
    DRY_TAP = "dry_tap"


class Particles(StrEnum):
    PRESENT = "present"
    SCANTY = "scanty"
    ABSENT = "absent"


class AspirateCellularity(StrEnum):
    HYPOCELLULAR = "hypocellular"
    NORMOCELLULAR = "normocellular"
    HYPERCELLULAR = "hypercellular"
    NOT_ASSESSABLE = "not_assessable"


class DifferentialSource(StrEnum):
    ASPIRATE_SMEAR = "aspirate_smear"
    TOUCH_IMPRINT = "touch_imprint"
    CLOT_SECTION = "clot_section"


class MegakaryocyteNumber(StrEnum):
    ABSENT = "absent"
    DECREASED = "decreased"
    ADEQUATE = "adequate"
    INCREASED = "increased"


class CoreAdequacy(StrEnum):
    ADEQUATE = "adequate"
    SUBOPTIMAL = "suboptimal"
    INADEQUATE = "inadequate"


class FibrosisGrade(StrEnum):
    MF0 = "MF-0"
    MF1 = "MF-1"
    MF2 = "MF-2"
    MF3 = "MF-3"
    NOT_ASSESSED = "not_assessed"


class InfiltratePattern(StrEnum):
    NONE = "none"
    INTERSTITIAL = "interstitial"
    NODULAR = "nodular"
    PARATRABECULAR = "paratrabecular"
    INTRASINUSOIDAL = "intrasinusoidal"
    DIFFUSE = "diffuse"


class BlastsSource(StrEnum):
    DIFFERENTIAL = "differential"
    CD34_IHC = "cd34_ihc"
    FLOW_CYTOMETRY = "flow_cytometry"
    ESTIMATE = "estimate"


class PlasmaCellsSource(StrEnum):
    DIFFERENTIAL = "differential"
    CD138_IHC = "cd138_ihc"
    FLOW_CYTOMETRY = "flow_cytometry"
    ESTIMATE = "estimate"


class StainResult(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"
    NOT_INTERPRETABLE = "not_interpretable"
    # `/2`: p53-type stains read by pattern rather than positive or negative
    WILD_TYPE_PATTERN = "wild_type_pattern"
    ABERRANT_OVEREXPRESSION = "aberrant_overexpression"
    ABERRANT_NULL = "aberrant_null"


class AncillaryKind(StrEnum):
    FLOW_CYTOMETRY = "flow_cytometry"
    KARYOTYPE = "karyotype"
    FISH = "fish"
    MOLECULAR = "molecular"
    OTHER = "other"


class AncillaryStatus(StrEnum):
    PENDING = "pending"
    FINAL = "final"
    NOT_PERFORMED = "not_performed"  # `/2`: the result says why


class ClassificationSystem(StrEnum):
    WHO_HAEM5 = "WHO-HAEM5"
    ICC_2022 = "ICC-2022"
    OTHER = "other"


class TherapyKind(StrEnum):
    CHEMOTHERAPY = "chemotherapy"
    TARGETED = "targeted"
    IMMUNOTHERAPY = "immunotherapy"
    TRANSPLANT = "transplant"
    RADIATION = "radiation"
    TRANSFUSION = "transfusion"
    OTHER = "other"


class CountMethod(StrEnum):
    """How a differential was obtained (`aspirate.count.method`)."""

    COUNTER = "counter"
    TYPED = "typed"
    IMPORTED = "imported"


class MeasurementUnit(StrEnum):
    PERCENT = "percent"
    VAF_PERCENT = "vaf_percent"
    RATIO = "ratio"
    OTHER = "other"


class CommunicationMethod(StrEnum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    SECURE_MESSAGE = "secure_message"
    PAGE = "page"
    OTHER = "other"


class DifferentialCategory(StrEnum):
    """Differential categories in the order a report prints them."""

    BLASTS = "blasts"
    PROMYELOCYTES = "promyelocytes"
    # `/2`: acute promyelocytic leukemia; a blast equivalent, counted as myeloid
    ABNORMAL_PROMYELOCYTES = "abnormal_promyelocytes"
    MYELOCYTES = "myelocytes"
    METAMYELOCYTES = "metamyelocytes"
    BANDS = "bands"
    NEUTROPHILS = "neutrophils"
    EOSINOPHILS = "eosinophils"
    BASOPHILS = "basophils"
    MAST_CELLS = "mast_cells"
    PROMONOCYTES = "promonocytes"
    MONOCYTES = "monocytes"
    LYMPHOCYTES = "lymphocytes"
    PLASMA_CELLS = "plasma_cells"
    PRONORMOBLASTS = "pronormoblasts"
    BASOPHILIC_NORMOBLASTS = "basophilic_normoblasts"
    POLYCHROMATIC_NORMOBLASTS = "polychromatic_normoblasts"
    ORTHOCHROMATIC_NORMOBLASTS = "orthochromatic_normoblasts"
    HISTIOCYTES = "histiocytes"
    OTHER = "other"


# Names that are written one way only: never re-capitalised, wherever they stand in a
# value ("fish" prints "FISH", not "Fish"; "p53" stays "p53", never "P53").
WRITTEN_AS: dict[str, str] = {
    "fish": "FISH",
    "ihc": "IHC",
    "ngs": "NGS",
    "cd34": "CD34",
    "cd138": "CD138",
    "p53": "p53",
    "mf": "MF",
}


def label(value: StrEnum | str) -> str:
    """The words a person reads for an enumeration value ("posterior_iliac_crest" ->
    "Posterior iliac crest", "fish" -> "FISH", "cd34_ihc" -> "CD34 IHC"); codes such as
    "MF-1" or "WHO-HAEM5" stay as they are."""
    text = str(value)
    if "_" not in text and not text.islower():
        return text
    first, *rest = text.split("_")
    head = WRITTEN_AS.get(first) or first[:1].upper() + first[1:]
    return " ".join([head, *(WRITTEN_AS.get(word, word) for word in rest)])
