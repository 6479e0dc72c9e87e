"""Diagnosis templates: each returns a complete demo case document for one kind of marrow."""

from __future__ import annotations

from typing import Literal

from marrowpath.demo.documents import (
    APLASTIC,
    CHRONIC_MYELOID,
    CORE_ONLY,
    DYSPLASTIC,
    FULL_WORKUP,
    LEUKEMIC,
    MORPHOLOGY,
    NORMAL,
    REGENERATING,
    STAGING,
    WITH_FLOW,
    WITH_GENETICS,
    CaseContext,
    aspirate_section,
    blood_count,
    case_document,
    cellularity_words,
    core_section,
    diagnosis_section,
    differential_counts,
    header_section,
    infiltrate_section,
    iron_section,
    me_ratio_of,
    percent_text,
    reticulin_stain,
    stain_result,
    study_result,
)
from marrowpath.demo.model import Json


def _normal_karyotype(ctx: CaseContext) -> str:
    return f"46,{ctx.karyotype_sex}[20]. Normal {ctx.patient['sex']} karyotype."


_NORMAL_MORPHOLOGY: Json = {
    "erythroid": "Normoblastic maturation; no megaloblastic or dysplastic change.",
    "granulocytic": "Orderly maturation to segmented neutrophils.",
    "megakaryocytic": "Normal morphology.",
    "lymphoid": "Scattered small mature lymphocytes.",
}


# --- Diagnosis templates ---------------------------------------------------------------
# Each returns a fresh document (no shared objects), with the numbers in the text derived
# from the counts so the words and the computed values cannot disagree.

NormalSetting = Literal["anemia", "thrombocytopenia", "donor"]


def normal_marrow(
    ctx: CaseContext,
    *,
    setting: NormalSetting,
    cellularity: int,
    iron_grade: int = 2,
    history: str | None = None,
) -> Json:
    """A marrow without a neoplasm: the commonest result of a cytopenia work-up."""
    male = ctx.patient["sex"] == "male"
    megakaryocytes = "adequate"
    mega_text = "Normal number and morphology, scattered singly."
    ancillary: list[Json] = []
    verdict = cellularity_words(ctx, cellularity)
    if setting == "donor":
        header = header_section(
            ctx,
            indication="donor_evaluation",
            detail="Evaluation as an HLA-matched sibling donor for allogeneic stem cell "
            "transplantation (institutional donor protocol).",
            history=history or "Healthy; no prior hematologic disease.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=14.8 if male else 13.5,
                wbc_10e9_l=6.4,
                anc_10e9_l=3.8,
                alc_10e9_l=2.0,
                monocytes_10e9_l=0.4,
                platelets_10e9_l=268,
                mcv_fl=89,
            ),
            smear="No abnormality.",
            specimens=WITH_GENETICS,
            sedation="conscious_sedation",
        )
        ancillary = [
            study_result(
                ctx,
                "flow_cytometry",
                "No abnormal myeloid, B-cell, T-cell or plasma cell "
                "population. CD34-positive cells 0.9% of events.",
                1,
            ),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 9),
        ]
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis and orderly maturation.",
            "No morphologic or immunophenotypic abnormality identified.",
        ]
        plain = (
            "Your bone marrow is healthy. It makes normal amounts of all types of blood "
            "cells, and we found no abnormality."
        )
    elif setting == "thrombocytopenia":
        header = header_section(
            ctx,
            indication="abnormal_blood_counts",
            detail="Isolated thrombocytopenia for three months with a partial response to "
            "prednisone; exclude a primary marrow disorder.",
            history=history or "No prior hematologic disease. No new medications.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=14.1 if male else 13.1,
                wbc_10e9_l=6.8,
                anc_10e9_l=4.2,
                alc_10e9_l=1.9,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=31,
                mcv_fl=90,
            ),
            smear="Thrombocytopenia with occasional large platelets; red and white cells "
            "unremarkable.",
            specimens=MORPHOLOGY,
        )
        megakaryocytes = "increased"
        mega_text = (
            "Increased, with a full range of maturation including young forms with "
            "less lobulated nuclei; no clusters or dysplastic forms."
        )
        lines = [
            f"{verdict} marrow ({cellularity}%) with increased megakaryocytes and otherwise "
            "unremarkable trilineage hematopoiesis.",
            "No evidence of a myelodysplastic or other neoplastic process.",
            "The findings are consistent with peripheral platelet destruction, such as "
            "immune thrombocytopenia, in the appropriate clinical setting.",
        ]
        plain = (
            "Your bone marrow makes plenty of the cells that produce platelets. The low "
            "platelet count is most likely caused by platelets being used up or removed "
            "in the blood stream, not by a marrow disease."
        )
    else:
        header = header_section(
            ctx,
            indication="abnormal_blood_counts",
            detail="Anemia for six months, not explained by the routine work-up.",
            history=history or "Osteoarthritis; occasional NSAID use.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=9.4,
                wbc_10e9_l=5.9,
                anc_10e9_l=3.6,
                alc_10e9_l=1.6,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=241,
                mcv_fl=79 if iron_grade == 0 else 88,
                reticulocytes_10e9_l=31,
            ),
            smear="Mild anisopoikilocytosis with occasional pencil cells; white cells and "
            "platelets unremarkable.",
            specimens=MORPHOLOGY,
        )
        if iron_grade == 0:
            iron_line = "Absent storage iron (Gale grade 0), consistent with iron deficiency."
            plain_end = "The marrow has no stored iron, so the anemia is most likely caused by iron deficiency."
        elif iron_grade >= 4:
            iron_line = (
                f"Increased storage iron (Gale grade {iron_grade}) with few "
                "sideroblasts, a pattern seen in anemia of inflammation."
            )
            plain_end = "The pattern of iron suggests the anemia is linked to inflammation elsewhere in the body."
        else:
            iron_line = f"Adequate storage iron (Gale grade {iron_grade}); no ring sideroblasts."
            plain_end = "Your doctor will look for a cause of the anemia outside the marrow."
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis and no increase "
            "in blasts.",
            iron_line,
            "No evidence of a myelodysplastic or other neoplastic process.",
        ]
        plain = (
            "Your bone marrow looks healthy and we found no sign of leukemia or another "
            f"marrow disease. {plain_end}"
        )
    differential = differential_counts(500, NORMAL, blasts=5)
    return case_document(
        header,
        aspirate=aspirate_section(
            differential,
            cellularity=verdict.lower(),
            megakaryocytes=megakaryocytes,
            morphology=dict(_NORMAL_MORPHOLOGY, megakaryocytic=mega_text),
            iron=iron_section(iron_grade),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number=megakaryocytes,
            megakaryocytes=mega_text,
        ),
        stains=[reticulin_stain("MF-0")],
        ancillary=ancillary,
        diagnosis=diagnosis_section(lines, plain=plain),
    )


AmlKind = Literal["npm1", "mr", "unclassified"]


def aml_marrow(
    ctx: CaseContext,
    *,
    kind: AmlKind,
    blasts: int,
    cellularity: int,
    relapse: bool = False,
    auer_rods: bool = False,
    history: str | None = None,
) -> Json:
    """Acute myeloid leukemia at diagnosis or relapse: `blasts` of 500 cells counted."""
    pct = percent_text(blasts, 500)
    flow_pct = round(float(pct) * 0.9 + 3)
    verdict = cellularity_words(ctx, cellularity)
    differential = differential_counts(500, LEUKEMIC, blasts=blasts)
    stains = [stain_result("CD34", "positive", round(float(pct)), "diffuse sheets")]
    dysplasia: Json | None = None
    detail = "Leukocytosis with circulating blasts; suspected acute leukemia."
    if relapse:
        detail = "Recurrent circulating blasts after a first complete remission; suspected relapse."
    if kind == "npm1":
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=7.8,
            wbc_10e9_l=46.3,
            anc_10e9_l=2.1,
            alc_10e9_l=3.0,
            monocytes_10e9_l=6.2,
            platelets_10e9_l=38,
            mcv_fl=93,
            pb_blasts_pct=58,
        )
        smear = (
            "Leukocytosis with 58% blasts, several with cup-shaped nuclear invaginations; "
            "thrombocytopenia."
        )
        blast_text = (
            "Blasts are medium to large with fine chromatin, one or two nucleoli and "
            "frequent cup-shaped nuclei; a subset has folded monocytoid nuclei."
        )
        stains = [
            stain_result(
                "CD34",
                "negative",
                comment="Blasts negative; endothelium positive (internal control).",
            ),
            stain_result("CD117", "positive", 40, "subset of blasts"),
            stain_result("MPO", "positive", 60),
            stain_result(
                "NPM1 (cytoplasmic)", "positive", pattern="aberrant cytoplasmic staining of blasts"
            ),
        ]
        ancillary = [
            study_result(
                ctx,
                "flow_cytometry",
                f"Myeloid blasts {flow_pct}% of events: CD34-negative, "
                "HLA-DR-negative, CD117 partial, CD33 bright, CD13 dim, MPO positive; a subset "
                "expresses CD64 and CD11b (monocytic differentiation).",
                1,
            ),
            study_result(
                ctx,
                "molecular",
                "Rapid PCR: NPM1 type A mutation (c.860_863dupTCTG) "
                "detected; FLT3-ITD and FLT3-TKD not detected.",
                3,
            ),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 11),
            study_result(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): NPM1 p.(Trp288Cysfs*12) VAF "
                "41%; DNMT3A p.(Arg882His) VAF 45%; IDH2 p.(Arg140Gln) VAF 38%. No FLT3, TP53 "
                "or myelodysplasia-related gene mutations.",
                13,
            ),
        ]
        name = (
            "Relapsed acute myeloid leukemia with NPM1 mutation"
            if relapse
            else ("Acute myeloid leukemia with NPM1 mutation")
        )
        lines = [
            f"{name}: {pct}% blasts on a 500-cell differential.",
            f"{verdict} marrow ({cellularity}%) diffusely replaced by blasts with monocytic "
            "features; residual hematopoiesis markedly decreased.",
        ]
        diagnosis = diagnosis_section(
            lines,
            who=("Acute myeloid leukaemia with NPM1 mutation", "9877/3"),
            icc="AML with mutated NPM1",
            comment="NPM1 type A mutation by rapid PCR; FLT3-ITD not detected. Aberrant "
            "cytoplasmic NPM1 staining supports the molecular result.",
            recommendations="Quantitative NPM1 transcript monitoring of measurable residual "
            "disease after each treatment phase.",
            plain=(
                f"Your bone marrow is filled with immature white cells called blasts (about "
                f"{round(float(pct))} of every 100 cells). "
                + (
                    "The acute myeloid leukemia has come back. "
                    if relapse
                    else "This is acute myeloid leukemia, a fast-growing blood cancer. "
                )
                + "It carries a change in the NPM1 gene, a type that often responds well to "
                "treatment. Your care team will talk with you about treatment very soon."
            ),
        )
    elif kind == "mr":
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=8.1,
            wbc_10e9_l=2.3,
            anc_10e9_l=0.6,
            alc_10e9_l=1.1,
            monocytes_10e9_l=0.2,
            platelets_10e9_l=27,
            mcv_fl=104,
            pb_blasts_pct=14,
        )
        smear = (
            "Pancytopenia with 14% circulating blasts, hypogranular neutrophils and "
            "pseudo-Pelger-Huët forms; macrocytic red cells."
        )
        blast_text = "Blasts are medium-sized with scant agranular cytoplasm and fine chromatin."
        history = history or (
            "Myelodysplastic neoplasm with low blasts diagnosed previously "
            "at another institution; red cell transfusions only. Hypertension."
        )
        dysplasia = {"erythroid_pct": 30, "granulocytic_pct": 45, "megakaryocytic_pct": 60}
        stains += [
            stain_result("CD117", "positive", round(float(pct))),
            stain_result(
                "CD61", "positive", pattern="small hypolobated forms and micromegakaryocytes"
            ),
            stain_result("p53", "positive", 4, "wild-type (scattered weak nuclear staining)"),
        ]
        ancillary = [
            study_result(
                ctx,
                "flow_cytometry",
                f"CD34+ CD117+ HLA-DR+ myeloid blasts {flow_pct}% of "
                "events with aberrant CD7 and decreased CD38; abnormal CD13/CD16 maturation "
                "pattern of granulocytes.",
                1,
            ),
            study_result(
                ctx,
                "fish",
                "MDS FISH panel: deletion 5q31 in 78% of nuclei, monosomy 7 in "
                "72%, trisomy 8 in 31%; no TP53 deletion.",
                3,
            ),
            study_result(
                ctx,
                "karyotype",
                f"47,{ctx.karyotype_sex},del(5)(q13q33),-7,+8,+mar[15]/"
                f"46,{ctx.karyotype_sex}[5]. Complex karyotype.",
                10,
            ),
            study_result(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): TET2 p.(Gln1034*) VAF 36%; "
                "DNMT3A p.(Arg736His) VAF 22%. No TP53 or myelodysplasia-related gene "
                "mutations.",
                13,
            ),
        ]
        name = "Relapsed acute myeloid leukemia" if relapse else "Acute myeloid leukemia"
        lines = [
            f"{name}, myelodysplasia-related: {pct}% blasts on a 500-cell differential with "
            "multilineage dysplasia, arising from a previously diagnosed myelodysplastic "
            "neoplasm.",
            "FISH shows deletion 5q, monosomy 7 and trisomy 8 "
            "(myelodysplasia-defining cytogenetic abnormalities).",
            f"{verdict} marrow ({cellularity}%).",
        ]
        diagnosis = diagnosis_section(
            lines,
            who=("Acute myeloid leukaemia, myelodysplasia-related", "9895/3"),
            icc="AML with myelodysplasia-related cytogenetic abnormalities, progressed from MDS",
            comment="Auer rods are present in occasional blasts." if auer_rods else None,
            recommendations="Correlate with clinical fitness for intensive therapy and "
            "transplant evaluation.",
            plain=(
                "Your earlier bone marrow condition (myelodysplastic neoplasm) has progressed "
                "to acute myeloid leukemia, a fast-growing blood cancer. About "
                f"{round(float(pct))} of every 100 marrow cells are immature blasts. Your "
                "care team will discuss the treatment options with you."
            ),
        )
    else:
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=8.4,
            wbc_10e9_l=71.2,
            anc_10e9_l=3.4,
            alc_10e9_l=2.2,
            monocytes_10e9_l=1.8,
            platelets_10e9_l=52,
            mcv_fl=91,
            pb_blasts_pct=66,
        )
        smear = "Marked leukocytosis with 66% blasts; occasional Auer rods."
        blast_text = (
            "Large blasts with fine chromatin, prominent nucleoli and occasional Auer rods."
        )
        stains += [stain_result("MPO", "positive", 35, "subset of blasts")]
        ancillary = [
            study_result(
                ctx,
                "flow_cytometry",
                f"Myeloid blasts {flow_pct}% of events: CD34+, CD117+, "
                "CD33+, CD13+, HLA-DR+, MPO partial; cytoplasmic CD3 and CD79a negative.",
                1,
            ),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 10),
            study_result(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): FLT3-ITD (allelic ratio 0.4); "
                "RUNX1 p.(Arg201Gln) VAF 38%. No NPM1 or TP53 mutation.",
                12,
            ),
        ]
        lines = [
            f"Acute myeloid leukemia: {pct}% blasts on a 500-cell differential; {verdict.lower()} "
            f"marrow ({cellularity}%).",
            "Flow cytometry supports myeloid lineage; classification awaits cytogenetic and "
            "molecular results.",
        ]
        diagnosis = diagnosis_section(
            lines,
            comment="Preliminary report issued to support urgent treatment decisions.",
            plain=(
                "Your bone marrow is filled with immature cells called blasts. This is acute "
                "myeloid leukemia, a fast-growing blood cancer. More tests are under way to "
                "find out the exact type, which will guide treatment."
            ),
        )
        auer_rods = True
    header = header_section(
        ctx,
        indication="suspected_hematologic_malignancy",
        detail=detail,
        history=history,
        cbc=cbc,
        smear=smear,
    )
    return case_document(
        header,
        aspirate=aspirate_section(
            differential,
            cellularity="hypercellular",
            megakaryocytes="decreased",
            morphology={
                "erythroid": "Markedly decreased; normoblastic.",
                "granulocytic": "Decreased maturing granulocytes"
                + (", many hypogranular." if dysplasia else " without dysplasia."),
                "megakaryocytic": "Decreased"
                + ("; small hypolobated forms." if dysplasia else "."),
                "lymphoid": "Scattered small lymphocytes.",
                "other": blast_text,
            },
            dysplasia=dysplasia,
            auer_rods=auer_rods,
            iron=iron_section(2),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-1",
            megakaryocyte_number="decreased",
            megakaryocytes="Decreased; scattered singly.",
            infiltrate=infiltrate_section(
                "diffuse",
                round(float(pct)),
                "Sheets of immature mononuclear cells replacing normal hematopoiesis.",
            ),
        ),
        stains=[*stains, reticulin_stain("MF-1")],
        ancillary=ancillary,
        diagnosis=diagnosis,
    )


def aml_remission_marrow(
    ctx: CaseContext,
    *,
    blasts: int,
    cellularity: int,
    when: str,
    npm1: bool,
    history: str | None = None,
) -> Json:
    """The marrow after induction: regeneration, blasts under 5 %, MRD studies."""
    pct = percent_text(blasts, 500)
    verdict = cellularity_words(ctx, cellularity)
    ancillary = [
        study_result(
            ctx,
            "flow_cytometry",
            "No abnormal myeloid blast population; measurable "
            "residual disease not detected (sensitivity 0.1%).",
            1,
        ),
    ]
    if npm1:
        ancillary.append(
            study_result(
                ctx,
                "molecular",
                "Quantitative NPM1 mutant transcripts: 0.42% "
                "NPM1mut/ABL1, a reduction of more than 2 logs from diagnosis.",
                7,
            )
        )
    lines = [
        f"{verdict} marrow ({cellularity}%) with regenerating trilineage hematopoiesis, {when}.",
        f"No morphologic evidence of residual acute myeloid leukemia (blasts {pct}% on a "
        "500-cell differential).",
    ]
    return case_document(
        header_section(
            ctx,
            indication="treatment_monitoring",
            detail=f"Assessment of response, {when}.",
            history=history or "Acute myeloid leukemia; induction chemotherapy.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=9.2,
                wbc_10e9_l=2.8,
                anc_10e9_l=1.1,
                alc_10e9_l=0.9,
                monocytes_10e9_l=0.6,
                platelets_10e9_l=96,
                mcv_fl=92,
                pb_blasts_pct=0,
            ),
            smear="Recovering counts; no circulating blasts.",
            specimens=FULL_WORKUP if npm1 else WITH_GENETICS,
        ),
        aspirate=aspirate_section(
            differential_counts(500, REGENERATING, blasts=blasts),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology={
                "erythroid": "Regenerating erythroid islands with mild megaloblastoid change "
                "(post-chemotherapy).",
                "granulocytic": "Left-shifted regenerating granulopoiesis with full maturation.",
                "megakaryocytic": "Present; normal morphology.",
                "lymphoid": "Small lymphocytes and hematogones.",
            },
            iron=iron_section(3),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Present in normal number; no atypia.",
            comment="Stromal edema and scattered hemosiderin-laden macrophages after therapy.",
        ),
        stains=[
            stain_result("CD34", "positive", 1, "rare single cells; no clusters"),
            reticulin_stain("MF-0"),
        ],
        ancillary=ancillary,
        diagnosis=diagnosis_section(
            lines,
            plain=(
                "No leukemia cells were seen in your bone marrow after treatment. The marrow "
                "is recovering and making normal blood cells again. Sensitive tests for "
                "leftover leukemia are listed below."
            ),
        ),
    )


def post_transplant_marrow(
    ctx: CaseContext,
    *,
    days_after: int,
    disease: str,
    cellularity: int,
    chimerism: int = 99,
    history: str | None = None,
) -> Json:
    """Engraftment check after an allogeneic transplant: chimerism and MRD."""
    verdict = cellularity_words(ctx, cellularity)
    lines = [
        f"{verdict} marrow ({cellularity}%) with trilineage engraftment.",
        f"No morphologic or immunophenotypic evidence of residual or recurrent {disease}.",
    ]
    comment = None
    if chimerism < 95:
        comment = (
            f"Mixed chimerism ({chimerism}% donor) warrants close follow-up for early relapse."
        )
    return case_document(
        header_section(
            ctx,
            indication="post_transplant_evaluation",
            detail=f"Day +{days_after} after allogeneic stem cell transplantation for {disease}.",
            history=history,
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=10.9,
                wbc_10e9_l=4.1,
                anc_10e9_l=2.6,
                alc_10e9_l=0.8,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=118,
                mcv_fl=96,
                pb_blasts_pct=0,
            ),
            smear="Mild normocytic anemia; no circulating blasts.",
            specimens=FULL_WORKUP,
        ),
        aspirate=aspirate_section(
            differential_counts(500, NORMAL, blasts=5),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(_NORMAL_MORPHOLOGY),
            iron=iron_section(3),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
        ),
        stains=[stain_result("CD34", "positive", 1, "rare single cells"), reticulin_stain("MF-0")],
        ancillary=[
            study_result(
                ctx,
                "flow_cytometry",
                "No abnormal myeloid blast population; measurable "
                "residual disease not detected (sensitivity 0.01%).",
                1,
            ),
            study_result(
                ctx,
                "other",
                f"Chimerism (short tandem repeat analysis, unfractionated "
                f"marrow): {chimerism}% donor.",
                6,
            ),
        ],
        diagnosis=diagnosis_section(
            lines,
            comment=comment,
            plain=(
                "The new bone marrow from your donor is working and making all types of "
                "blood cells. We found no sign that the disease has come back."
            ),
        ),
    )


MdsKind = Literal["ib1", "ib2", "sf3b1"]
# The patient's clone (karyotype, mutations, blood blasts, blast clusters): a property of
# the patient, not of the diagnosis, so an amendment that revises the diagnosis keeps it.
MdsClone = Literal["del20q", "trisomy8"]


def mds_marrow(
    ctx: CaseContext,
    *,
    kind: MdsKind,
    blasts: int,
    cellularity: int,
    ring_sideroblasts: int = 2,
    auer_rods: bool = False,
    sf3b1_known: bool = True,
    history: str | None = None,
    clone: MdsClone | None = None,
) -> Json:
    """Myelodysplastic neoplasm; `sf3b1_known=False` gives the ring-sideroblast wording that
    WHO-HAEM5 allows while SF3B1 sequencing is still pending. `clone` is the patient's
    genetics (default: del(20q) for IB1, trisomy 8 for IB2)."""
    clone = clone or ("trisomy8" if kind == "ib2" else "del20q")
    pct = percent_text(blasts, 500)
    verdict = cellularity_words(ctx, cellularity)
    ring = kind == "sf3b1"
    if ring:
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=8.9,
            wbc_10e9_l=5.1,
            anc_10e9_l=2.9,
            alc_10e9_l=1.5,
            monocytes_10e9_l=0.4,
            platelets_10e9_l=286,
            mcv_fl=106,
            reticulocytes_10e9_l=29,
            pb_blasts_pct=0,
        )
        smear = (
            "Dimorphic red cells with a population of hypochromic cells and Pappenheimer "
            "bodies; white cells and platelets unremarkable."
        )
        detail = (
            "Transfusion-dependent macrocytic anemia with normal white cell and platelet counts."
        )
        dysplasia = {"erythroid_pct": 42, "granulocytic_pct": 3, "megakaryocytic_pct": 5}
        fibrosis = "MF-0"
        mega_text = "Normal number and morphology."
        iron = iron_section(
            5, ring_sideroblasts, "Many ring sideroblasts with complete perinuclear rings."
        )
        flow = "No increase in myeloid blasts (0.9% of events) and no aberrant phenotype."
        karyotype = _normal_karyotype(ctx)
        if sf3b1_known:
            molecular = study_result(
                ctx,
                "molecular",
                "Targeted sequencing: SF3B1 p.(Lys700Glu) VAF "
                "36%; TET2 p.(Arg1216*) VAF 12%. No TP53, RUNX1 or EZH2 "
                "mutation.",
                4,
            )
        else:
            molecular = study_result(
                ctx,
                "molecular",
                "Myeloid NGS panel (54 genes): SF3B1 "
                "p.(Lys700Glu) VAF 36%; TET2 p.(Arg1216*) VAF 12%. No TP53, "
                "RUNX1 or EZH2 mutation.",
                13,
            )
    else:
        pb_blasts = 3 if clone == "trisomy8" else 1
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=8.6,
            wbc_10e9_l=2.4,
            anc_10e9_l=0.9,
            alc_10e9_l=1.0,
            monocytes_10e9_l=0.3,
            platelets_10e9_l=64,
            mcv_fl=103,
            reticulocytes_10e9_l=24,
            pb_blasts_pct=pb_blasts,
        )
        smear = (
            f"Macrocytic red cells, hypogranular neutrophils with pseudo-Pelger-Huët nuclei "
            f"and {pb_blasts}% circulating blasts."
        )
        detail = "Macrocytic anemia and thrombocytopenia; suspected myelodysplastic neoplasm."
        dysplasia = {"erythroid_pct": 18, "granulocytic_pct": 24, "megakaryocytic_pct": 32}
        fibrosis = "MF-1"
        mega_text = "Loose clusters of small hypolobated and separated-lobe forms."
        iron = iron_section(3, ring_sideroblasts)
        flow = (
            f"CD34+ myeloid blasts {round(float(pct) * 0.9, 1)}% of events with aberrant "
            "CD7 and CD56 expression; abnormal granulocytic maturation pattern."
        )
        if clone == "del20q":
            karyotype = f"46,{ctx.karyotype_sex},del(20)(q11.2q13.1)[7]/46,{ctx.karyotype_sex}[13]."
            genes = (
                "ASXL1 p.(Gly646Trpfs*12) VAF 33%; SRSF2 p.(Pro95His) VAF 41%; TET2 "
                "p.(Gln1034*) VAF 28%."
            )
        else:
            karyotype = f"47,{ctx.karyotype_sex},+8[12]/46,{ctx.karyotype_sex}[8]."
            genes = (
                "RUNX1 p.(Arg204*) VAF 22%; STAG2 p.(Arg614*) VAF 35%; ASXL1 "
                "p.(Gly646Trpfs*12) VAF 30%."
            )
        molecular = study_result(
            ctx, "molecular", f"Myeloid NGS panel (54 genes): {genes} No TP53 mutation.", 13
        )
    ancillary = [
        study_result(ctx, "flow_cytometry", flow, 1),
        study_result(ctx, "karyotype", karyotype, 10),
        molecular,
    ]
    comment: str | None = None
    icc: str | None
    if ring:
        name = (
            "myelodysplastic neoplasm with low blasts and SF3B1 mutation (MDS-SF3B1)"
            if sf3b1_known
            else "myelodysplastic neoplasm with low blasts and ring sideroblasts"
        )
        lines = [
            f"{verdict} marrow ({cellularity}%) with erythroid hyperplasia and erythroid "
            f"dysplasia; blasts not increased ({pct}% on a 500-cell differential).",
            f"Ring sideroblasts {ring_sideroblasts}% of erythroblasts.",
            f"Consistent with {name}.",
        ]
        who = ("Myelodysplastic neoplasm with low blasts and SF3B1 mutation", "9982/3")
        icc = "MDS with mutated SF3B1" if sf3b1_known else None
        if not sf3b1_known:
            comment = (
                "WHO-HAEM5 accepts 'low blasts and ring sideroblasts' for this entity when "
                "15% or more ring sideroblasts are present and SF3B1 status is not yet "
                "known."
            )
        plain = (
            "Your bone marrow makes red cells that do not mature properly and store iron in "
            "a ring around the nucleus. This is a slow-growing myelodysplastic neoplasm, a "
            "type of bone marrow cancer with a generally favorable outlook. Treatment aims "
            "to improve the anemia."
        )
    else:
        ib2 = kind == "ib2"
        why = "increased blasts" + (" and Auer rods" if auer_rods else "")
        lines = [
            f"{verdict} marrow ({cellularity}%) with multilineage dysplasia and {why} "
            f"({pct}% blasts on a 500-cell differential).",
            "Consistent with myelodysplastic neoplasm with increased blasts-"
            + ("2 (MDS-IB2)" if ib2 else "1 (MDS-IB1)")
            + (", defined here by Auer rods." if ib2 and blasts < 50 else "."),
        ]
        who = (f"Myelodysplastic neoplasm with increased blasts-{2 if ib2 else 1}", "9983/3")
        icc = "MDS/AML" if blasts >= 50 else "MDS with excess blasts"
        if ib2 and blasts < 50:
            comment = (
                f"Auer rods place this case in MDS-IB2 under WHO-HAEM5; under ICC-2022 "
                f"the blast count ({pct}%) corresponds to MDS with excess blasts."
            )
        plain = (
            "Your bone marrow is making blood cells that look abnormal, and there are more "
            f"immature cells called blasts than normal (about {round(float(pct))} of every "
            "100 cells). This is a myelodysplastic neoplasm, a type of bone marrow cancer. "
            "Your care team will discuss treatment with you."
        )
    return case_document(
        header_section(
            ctx,
            indication="abnormal_blood_counts",
            detail=detail,
            history=history or "No prior chemotherapy or radiation.",
            cbc=cbc,
            smear=smear,
        ),
        aspirate=aspirate_section(
            differential_counts(500, DYSPLASTIC, blasts=blasts),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology={
                "erythroid": "Erythroid hyperplasia with megaloblastoid change, nuclear budding "
                "and irregular nuclear contours.",
                "granulocytic": (
                    "Unremarkable maturation."
                    if ring
                    else "Hypogranular and pseudo-Pelger-Huët neutrophils."
                ),
                "megakaryocytic": mega_text,
                "lymphoid": "Unremarkable small lymphocytes.",
            },
            dysplasia=dysplasia,
            auer_rods=auer_rods,
            iron=iron,
            comment=None
            if ring
            else "Blasts are medium-sized with fine chromatin and scant "
            "agranular cytoplasm."
            + (" Rare blasts contain slender Auer rods." if auer_rods else ""),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis=fibrosis,
            megakaryocyte_number="adequate",
            megakaryocytes=mega_text,
            infiltrate=None
            if ring
            else infiltrate_section(
                "interstitial",
                round(float(pct)),
                "Scattered CD34-positive blasts, "
                + ("small clusters." if clone == "trisomy8" else "no clusters."),
            ),
        ),
        stains=[
            stain_result("CD34", "positive", max(1, round(float(pct))), "interstitial"),
            stain_result("CD61", "positive", pattern="highlights small hypolobated megakaryocytes")
            if not ring
            else stain_result("Perls (iron)", "positive", comment="Ring sideroblasts."),
            reticulin_stain(fibrosis),
        ],
        ancillary=ancillary,
        diagnosis=diagnosis_section(
            lines,
            who=who,
            icc=icc,
            comment=comment,
            recommendations="Risk stratification with IPSS-M once the molecular results are "
            "available.",
            plain=plain,
        ),
    )


def myeloma_marrow(
    ctx: CaseContext,
    *,
    plasma_pct: int,
    aspirate_plasma: int,
    light_chain: Literal["kappa", "lambda"],
    heavy_chain: str = "IgG",
    cellularity: int = 60,
    active: bool = True,
    history: str | None = None,
) -> Json:
    """A plasma cell neoplasm at diagnosis. The reported percentage comes from CD138
    immunohistochemistry, which hemodilution of the aspirate does not lower."""
    other_chain = "lambda" if light_chain == "kappa" else "kappa"
    asp_pct = percent_text(aspirate_plasma, 500)
    verdict = cellularity_words(ctx, cellularity)
    pattern = "diffuse" if plasma_pct >= 50 else "interstitial"
    if active:
        lines = [
            f"Plasma cell myeloma: {light_chain}-restricted plasma cells, {plasma_pct}% of "
            f"marrow cellularity by CD138 immunohistochemistry ({asp_pct}% on the aspirate "
            "differential).",
            f"{verdict} marrow ({cellularity}%) with a {pattern} plasma cell infiltrate.",
        ]
        who: tuple[str, str] | None = ("Plasma cell myeloma", "9732/3")
        icc: str | None = "Plasma cell myeloma"
        plain = (
            "Your bone marrow contains many abnormal plasma cells (about "
            f"{plasma_pct} of every 100 cells). This is multiple myeloma, a cancer of "
            "plasma cells. It is treatable, and your care team will discuss the options "
            "with you."
        )
    else:
        lines = [
            f"Clonal plasma cell neoplasm: {light_chain}-restricted plasma cells, {plasma_pct}% "
            f"of marrow cellularity by CD138 immunohistochemistry ({asp_pct}% on the aspirate "
            "differential).",
            "Distinguishing smoldering from active myeloma requires correlation with CRAB "
            "features and myeloma-defining events.",
        ]
        who, icc = None, None
        plain = (
            "Your bone marrow contains an increased number of abnormal plasma cells. "
            "Your doctor will combine this result with blood, urine and imaging tests to "
            "decide whether treatment is needed now."
        )
    return case_document(
        header_section(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail=f"Serum {heavy_chain} {light_chain} monoclonal protein"
            + (
                " with anemia and lytic bone lesions on imaging."
                if active
                else "; evaluate for a plasma cell neoplasm."
            ),
            history=history or "No prior hematologic disease.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=9.1,
                wbc_10e9_l=4.6,
                anc_10e9_l=2.7,
                alc_10e9_l=1.3,
                monocytes_10e9_l=0.4,
                platelets_10e9_l=162,
                mcv_fl=95,
            ),
            smear="Rouleaux formation and normocytic anemia; no circulating plasma cells.",
            specimens=FULL_WORKUP,
        ),
        aspirate=aspirate_section(
            differential_counts(500, NORMAL, blasts=4, plasma_cells=aspirate_plasma),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                plasma_cells="Clusters of mature and immature plasma cells, some binucleate, "
                "with prominent nucleoli.",
            ),
            iron=iron_section(3),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=infiltrate_section(
                pattern,
                plasma_pct,
                "CD138-positive plasma cells in interstitial clusters and sheets.",
            ),
        ),
        key_results={"plasma_cells_pct": plasma_pct, "plasma_cells_source": "cd138_ihc"},
        stains=[
            stain_result("CD138", "positive", plasma_pct, "interstitial clusters and sheets"),
            stain_result(
                f"{light_chain.capitalize()} (ISH)", "positive", comment="Light chain restricted."
            ),
            stain_result(
                f"{other_chain.capitalize()} (ISH)", "negative", comment="Rare positive cells only."
            ),
            stain_result("Cyclin D1", "negative"),
            stain_result("Congo red", "negative", comment="No amyloid deposition."),
        ],
        ancillary=[
            study_result(
                ctx,
                "flow_cytometry",
                "Abnormal plasma cells (CD38 bright, CD138+, CD19-, "
                f"CD45-, CD56+, CD27-) with cytoplasmic {light_chain} restriction, "
                f"{max(1, plasma_pct // 4)}% of events; flow underestimates the plasma cell "
                "burden.",
                1,
            ),
            study_result(
                ctx,
                "fish",
                "Plasma cell FISH (CD138-enriched): IGH::FGFR3 t(4;14) in 82% of "
                "plasma cells; gain of 1q21 (3 copies) in 64%; no TP53 (17p) deletion.",
                6,
            ),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 12),
        ],
        diagnosis=diagnosis_section(
            lines,
            who=who,
            icc=icc,
            comment="The plasma cell percentage is taken from the CD138 stain of the core, "
            "which is more representative than the hemodilute aspirate.",
            plain=plain,
        ),
    )


def myeloma_response_marrow(
    ctx: CaseContext,
    *,
    plasma_pct: int,
    when: str,
    mrd: float | None,
    cellularity: int = 45,
    history: str | None = None,
) -> Json:
    """Myeloma after treatment: CD138 count, light chains and next-generation flow MRD."""
    verdict = cellularity_words(ctx, cellularity)
    if mrd is None:
        mrd_result = "Next-generation flow: abnormal plasma cells not detected in 5,000,000 events (limit of detection 0.001%)."
        mrd_line = "Measurable residual disease not detected by next-generation flow cytometry (sensitivity 0.001%)."
    else:
        mrd_result = f"Next-generation flow: abnormal plasma cells {mrd}% of nucleated cells (limit of detection 0.001%)."
        mrd_line = f"Measurable residual disease detected by next-generation flow cytometry ({mrd}% of nucleated cells)."
    return case_document(
        header_section(
            ctx,
            indication="treatment_monitoring",
            detail=f"Response assessment {when}.",
            history=history,
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=11.6,
                wbc_10e9_l=4.9,
                anc_10e9_l=2.8,
                alc_10e9_l=1.2,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=174,
                mcv_fl=94,
            ),
            smear="Mild normocytic anemia; no rouleaux.",
            specimens=WITH_FLOW,
        ),
        aspirate=aspirate_section(
            differential_counts(500, NORMAL, blasts=4, plasma_cells=plasma_pct * 4),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(_NORMAL_MORPHOLOGY, plasma_cells="Scattered mature plasma cells."),
            iron=iron_section(3),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
        ),
        key_results={"plasma_cells_pct": plasma_pct, "plasma_cells_source": "cd138_ihc"},
        stains=[
            stain_result("CD138", "positive", plasma_pct, "scattered single cells"),
            stain_result(
                "Kappa/lambda (ISH)", "positive", comment="Polytypic (kappa:lambda about 2:1)."
            ),
        ],
        ancillary=[study_result(ctx, "flow_cytometry", mrd_result, 2)],
        diagnosis=diagnosis_section(
            [
                f"{verdict} marrow ({cellularity}%) with {plasma_pct}% plasma cells by CD138 "
                "immunohistochemistry, without light chain restriction.",
                "No morphologic evidence of residual plasma cell myeloma.",
                mrd_line,
            ],
            plain=(
                "No myeloma cells were seen under the microscope after treatment. "
                + (
                    "A very sensitive test found no remaining myeloma cells."
                    if mrd is None
                    else "A very sensitive test still finds a very small number of myeloma cells."
                )
            ),
        ),
    )


Lymphoma = Literal["follicular", "dlbcl", "hodgkin"]
_LYMPHOMA_NAMES = {
    "follicular": (
        "follicular lymphoma",
        "follicular lymphoma, grade 1-2 (inguinal lymph node biopsy)",
    ),
    "dlbcl": (
        "diffuse large B-cell lymphoma",
        "diffuse large B-cell lymphoma (cervical lymph node biopsy)",
    ),
    "hodgkin": (
        "classic Hodgkin lymphoma",
        "classic Hodgkin lymphoma, nodular sclerosis (mediastinal mass biopsy)",
    ),
}


def lymphoma_staging_marrow(
    ctx: CaseContext,
    *,
    lymphoma: Lymphoma,
    involved: bool,
    cellularity: int,
    percent: int = 0,
    end_of_treatment: bool = False,
    history: str | None = None,
) -> Json:
    """Staging marrow for a lymphoma: involved (with the pattern) or not."""
    short, long = _LYMPHOMA_NAMES[lymphoma]
    verdict = cellularity_words(ctx, cellularity)
    bilateral = ctx.laterality == "bilateral"
    stains = [
        stain_result("CD20", "positive", 3, "scattered B cells"),
        stain_result("CD3", "positive", 8, "scattered T cells"),
    ]
    infiltrate: Json | None = None
    lymphocytes = 60
    classification: tuple[str, str] | None = None
    flow = "No monotypic B-cell or aberrant T-cell population."
    if involved and lymphoma == "follicular":
        lymphocytes = 110
        stains = [
            stain_result("CD20", "positive", percent, "paratrabecular aggregates"),
            stain_result("CD10", "positive", percent, "paratrabecular aggregates"),
            stain_result("BCL2", "positive", percent, "paratrabecular aggregates"),
            stain_result("CD3", "positive", 6, "scattered T cells"),
        ]
        infiltrate = infiltrate_section(
            "paratrabecular",
            percent,
            "Paratrabecular aggregates of small "
            "cleaved lymphocytes hugging the trabecular surfaces.",
        )
        flow = "Monotypic B cells (CD19+, CD20+, CD10+, surface kappa-restricted), 6% of events."
        lines = [
            f"Bone marrow involved by follicular lymphoma, low grade, with a paratrabecular "
            f"pattern (about {percent}% of the marrow space).",
        ]
        classification = ("Follicular lymphoma", "9690/3")
    elif involved:
        if lymphoma != "dlbcl":
            raise ValueError(f"no template for marrow involvement by {short}")
        lymphocytes = 80
        stains = [
            stain_result("CD20", "positive", percent, "nodular aggregates of large cells"),
            stain_result("Ki-67", "positive", 80, "in the large cells"),
            stain_result("CD3", "positive", 6, "scattered T cells"),
        ]
        infiltrate = infiltrate_section(
            "nodular",
            percent,
            "Nodular and interstitial aggregates of "
            "large atypical lymphoid cells with vesicular chromatin.",
        )
        flow = (
            "Large monotypic B cells (CD19+, CD20+, CD10-, lambda-restricted), 2% of events "
            "(likely under-represented)."
        )
        lines = [
            "Bone marrow involved by diffuse large B-cell lymphoma (concordant involvement), "
            f"nodular and interstitial pattern, about {percent}% of the marrow space.",
        ]
        classification = ("Diffuse large B-cell lymphoma, NOS", "9680/3")
    else:
        if lymphoma == "hodgkin":
            stains += [stain_result("CD30", "negative"), stain_result("CD15", "negative")]
        where = " (bilateral biopsies)" if bilateral else ""
        lines = [
            f"No morphologic or immunohistochemical evidence of {short} in the bone marrow{where}.",
        ]
    lines.append(
        f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis"
        + (" in the uninvolved areas." if involved else ".")
    )
    if involved:
        plain = (
            "The lymphoma is present in your bone marrow. This helps your doctors work out "
            "the stage of the lymphoma and plan treatment."
        )
    else:
        plain = (
            "We found no lymphoma in your bone marrow. This helps your doctors work out the "
            "stage of the lymphoma and plan treatment."
        )
    with_flow = lymphoma != "hodgkin"
    header = header_section(
        ctx,
        indication="treatment_monitoring" if end_of_treatment else "cancer_staging",
        detail=(
            f"End-of-treatment assessment for {short}."
            if end_of_treatment
            else f"Staging of newly diagnosed {long}."
        ),
        history=history,
        cbc=blood_count(
            ctx,
            hemoglobin_g_dl=12.4,
            wbc_10e9_l=6.1,
            anc_10e9_l=3.9,
            alc_10e9_l=1.4,
            monocytes_10e9_l=0.5,
            platelets_10e9_l=221,
            mcv_fl=89,
        ),
        smear="No circulating lymphoma cells.",
        specimens=STAGING if with_flow else MORPHOLOGY,
    )
    return case_document(
        header,
        aspirate=aspirate_section(
            differential_counts(500, NORMAL, blasts=5, lymphocytes=lymphocytes),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                lymphoid="Increased small lymphocytes with angulated nuclei."
                if involved
                else "Scattered small mature lymphocytes.",
            ),
            iron=iron_section(2),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-1" if involved else "MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=infiltrate,
        ),
        stains=[*stains, reticulin_stain("MF-1" if involved else "MF-0")],
        ancillary=[study_result(ctx, "flow_cytometry", flow, 1)] if with_flow else None,
        diagnosis=diagnosis_section(lines, who=classification, plain=plain),
    )


def aplastic_marrow(
    ctx: CaseContext,
    *,
    cellularity: int,
    after_treatment: bool = False,
    history: str | None = None,
) -> Json:
    """Aplastic anemia: an empty, fatty marrow, or its recovery after immunosuppression."""
    if after_treatment:
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=10.4,
            wbc_10e9_l=3.2,
            anc_10e9_l=1.5,
            alc_10e9_l=1.3,
            monocytes_10e9_l=0.3,
            platelets_10e9_l=58,
            mcv_fl=98,
            reticulocytes_10e9_l=48,
        )
        verdict = cellularity_words(ctx, cellularity)
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis, increased "
            "compared with the pre-treatment biopsy.",
            "No dysplasia, increase in blasts or fibrosis.",
        ]
        plain = "Your bone marrow is making more blood cells than before treatment. " + (
            "It is still less full than usual for your age, but it is recovering."
            if verdict == "Hypocellular"
            else "It is now about as full as usual for your age."
        )
        classification = None
        pnh = "PNH testing (FLAER): PNH clone 1.2% of neutrophils; no increase in blasts."
        megakaryocytes = "decreased"
    else:
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=7.2,
            wbc_10e9_l=1.4,
            anc_10e9_l=0.32,
            alc_10e9_l=0.9,
            monocytes_10e9_l=0.08,
            platelets_10e9_l=11,
            mcv_fl=101,
            reticulocytes_10e9_l=12,
        )
        lines = [
            f"Markedly hypocellular marrow ({cellularity}%) with trilineage hypoplasia; no "
            "increase in blasts, no fibrosis and no abnormal infiltrate.",
            "In the clinical setting, consistent with severe aplastic anemia.",
        ]
        plain = (
            "Your bone marrow has very few of the cells that make blood; most of the space "
            "is filled with fat. This condition is called aplastic anemia. It is not a "
            "cancer, and it can be treated with medicines that calm the immune system or "
            "with a stem cell transplant."
        )
        classification = "Aplastic anemia, severe (Camitta criteria)"
        pnh = (
            "PNH testing (FLAER): small PNH clone, 0.8% of neutrophils and 1.1% of monocytes. "
            "No increase in blasts; no aberrant myeloid or lymphoid population."
        )
        megakaryocytes = "absent"
    return case_document(
        header_section(
            ctx,
            indication="treatment_monitoring" if after_treatment else "abnormal_blood_counts",
            detail=(
                "Response assessment six months after horse antithymocyte globulin, "
                "cyclosporine and eltrombopag."
                if after_treatment
                else "Pancytopenia; no prior chemotherapy, toxic exposure or new medication."
            ),
            history=history,
            cbc=cbc,
            smear="Pancytopenia with macrocytic red cells; no circulating blasts or dysplastic "
            "neutrophils.",
            specimens=WITH_GENETICS,
        ),
        aspirate=aspirate_section(
            differential_counts(200, APLASTIC, blasts=1),
            quality="suboptimal",
            particles="scanty",
            cellularity="hypocellular",
            megakaryocytes=megakaryocytes,
            morphology={
                "erythroid": "Few erythroid precursors; mild dyserythropoiesis only.",
                "granulocytic": "Few maturing granulocytes without dysplasia.",
                "megakaryocytic": "None seen."
                if megakaryocytes == "absent"
                else "Rare; normal morphology.",
                "lymphoid": "Lymphocytes, plasma cells and mast cells predominate in the particles.",
            },
            iron=iron_section(4),
            comment="200-cell differential on scanty, fatty particles.",
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number=megakaryocytes,
            megakaryocytes="None identified."
            if megakaryocytes == "absent"
            else "Rare, normal forms.",
            comment="Fatty marrow with scattered lymphocytes, plasma cells and mast cells; small "
            "erythroid islands only.",
        ),
        stains=[
            stain_result("CD34", "positive", 0.5, "rare single cells"),
            stain_result("CD61", "positive", pattern="rare megakaryocytes"),
            reticulin_stain("MF-0"),
        ],
        ancillary=[
            study_result(ctx, "flow_cytometry", pnh, 2),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 12),
        ],
        diagnosis=diagnosis_section(lines, other=classification, plain=plain),
    )


def myelofibrosis_marrow(
    ctx: CaseContext, *, cd34_pct: float, cellularity: int = 70, history: str | None = None
) -> Json:
    """Overt primary myelofibrosis: a dry tap, so blasts come from CD34 on the core."""
    verdict = cellularity_words(ctx, cellularity)
    return case_document(
        header_section(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail="Splenomegaly (22 cm), anemia and leukoerythroblastosis; suspected myelofibrosis.",
            history=history or "No prior hematologic disease.",
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=8.7,
                wbc_10e9_l=13.8,
                anc_10e9_l=9.6,
                alc_10e9_l=1.4,
                monocytes_10e9_l=0.9,
                platelets_10e9_l=94,
                mcv_fl=91,
                pb_blasts_pct=2,
            ),
            smear="Leukoerythroblastic blood picture with teardrop cells, nucleated red cells, "
            "2% circulating blasts and giant platelets.",
            specimens=CORE_ONLY,
        ),
        aspirate=aspirate_section(
            None,
            quality="dry_tap",
            particles="absent",
            cellularity="not_assessable",
            megakaryocytes="increased",
            morphology={
                "megakaryocytic": "Touch imprints show clusters of atypical megakaryocytes."
            },
            comment="Dry tap; no aspirate could be obtained. Touch imprints are paucicellular.",
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-3",
            collagen=True,
            osteosclerosis=True,
            megakaryocyte_number="increased",
            megakaryocytes="Increased, in dense clusters, with hyperchromatic cloud-like and "
            "bulbous nuclei; frequent naked nuclei and intrasinusoidal forms.",
            bone="Thickened, irregular trabeculae with new bone formation (osteosclerosis).",
            comment="Dilated sinuses with intrasinusoidal hematopoiesis.",
        ),
        key_results={"blasts_pct": cd34_pct, "blasts_source": "cd34_ihc"},
        stains=[
            stain_result("CD34", "positive", cd34_pct, "scattered single cells; no clusters"),
            stain_result(
                "CD61", "positive", pattern="highlights clustered atypical megakaryocytes"
            ),
            stain_result(
                "Reticulin", "positive", comment="MF-3: diffuse, dense increase with coarse fibres."
            ),
            stain_result("Trichrome", "positive", comment="Extensive collagen deposition."),
        ],
        ancillary=[
            study_result(
                ctx,
                "molecular",
                "Peripheral blood: CALR exon 9 type 1 deletion "
                "(c.1092_1143del, p.Leu367Thrfs*46) detected, VAF 42%; JAK2 V617F and MPL "
                "exon 10 mutations not detected.",
                6,
            ),
        ],
        diagnosis=diagnosis_section(
            [
                f"{verdict} marrow ({cellularity}%) with atypical megakaryocytic proliferation, "
                "dense reticulin and collagen fibrosis (MF-3) and osteosclerosis.",
                f"Blasts not increased ({cd34_pct}% by CD34 immunohistochemistry; no aspirate "
                "obtained).",
                "Consistent with primary myelofibrosis, overt fibrotic stage, in the "
                "appropriate clinical setting.",
            ],
            who=("Primary myelofibrosis", "9961/3"),
            icc="Primary myelofibrosis, overt fibrotic stage",
            recommendations="Driver mutation results to be correlated; consider referral for "
            "transplant evaluation.",
            plain=(
                "Your bone marrow has been replaced by scar-like tissue (fibrosis), so it "
                "cannot make enough blood cells. This is primary myelofibrosis, a chronic "
                "bone marrow cancer. Your care team will explain the treatment options."
            ),
        ),
    )


Primary = Literal["breast", "prostate", "lung"]
_PRIMARIES: dict[str, tuple[str, str, list[Json]]] = {
    "breast": (
        "History of invasive lobular carcinoma of the breast; new anemia and thrombocytopenia "
        "with leukoerythroblastosis.",
        "a breast primary, lobular phenotype (GATA3 and ER positive, E-cadherin negative)",
        [
            stain_result("GATA3", "positive", 90),
            stain_result("ER", "positive", 95, "strong nuclear"),
            stain_result("E-cadherin", "negative"),
        ],
    ),
    "prostate": (
        "Rising PSA, new anemia and diffuse bone lesions; suspected metastatic prostate cancer.",
        "a prostatic primary (NKX3.1 and PSA positive)",
        [stain_result("NKX3.1", "positive", 90), stain_result("PSA", "positive", 80)],
    ),
    "lung": (
        "Lung adenocarcinoma staging; new cytopenias.",
        "pulmonary adenocarcinoma (TTF-1 and Napsin A positive)",
        [stain_result("TTF-1", "positive", 85), stain_result("Napsin A", "positive", 70)],
    ),
}


def metastatic_marrow(
    ctx: CaseContext,
    *,
    primary: Primary,
    percent: int,
    cellularity: int,
    history: str | None = None,
) -> Json:
    """Metastatic carcinoma: keratin-positive clusters in a fibrotic core."""
    detail, origin, site_stains = _PRIMARIES[primary]
    verdict = cellularity_words(ctx, cellularity)
    return case_document(
        header_section(
            ctx,
            indication="cancer_staging",
            detail=detail,
            history=history,
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=8.9,
                wbc_10e9_l=5.2,
                anc_10e9_l=3.6,
                alc_10e9_l=0.9,
                monocytes_10e9_l=0.5,
                platelets_10e9_l=84,
                mcv_fl=90,
            ),
            smear="Leukoerythroblastic picture with nucleated red cells and teardrop cells.",
            specimens=MORPHOLOGY,
        ),
        aspirate=aspirate_section(
            differential_counts(300, NORMAL, blasts=2),
            quality="hemodilute",
            particles="scanty",
            cellularity="not_assessable",
            megakaryocytes="decreased",
            morphology=dict(
                _NORMAL_MORPHOLOGY, other="Cohesive clusters of large non-hematopoietic cells."
            ),
            comment="Tumor cell clusters at the feathered edge are not included in the "
            "300-cell differential.",
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-2",
            collagen=True,
            megakaryocyte_number="decreased",
            megakaryocytes="Decreased in the residual marrow.",
            infiltrate=infiltrate_section(
                "nodular", percent, "Nests and cords of carcinoma cells in a desmoplastic stroma."
            ),
        ),
        stains=[
            stain_result("AE1/AE3", "positive", percent, "nests and single cells"),
            *[dict(stain) for stain in site_stains],
            stain_result("CD45", "negative", comment="Tumor cells negative."),
            stain_result("Reticulin", "positive", comment="MF-2 in the areas of tumor."),
        ],
        diagnosis=diagnosis_section(
            [
                f"Metastatic carcinoma involving the bone marrow (about {percent}% of the core), "
                f"immunophenotype consistent with {origin}.",
                "Desmoplastic stromal reaction with reticulin and collagen fibrosis (MF-2); "
                f"residual hematopoiesis decreased ({verdict.lower()} for age overall, "
                f"{cellularity}%).",
            ],
            other="Metastatic carcinoma",
            plain=(
                "Cancer cells that have spread from another organ were found in your bone "
                "marrow. This explains the low blood counts. Your oncologist will discuss what "
                "this means for your treatment."
            ),
        ),
    )


def cml_marrow(
    ctx: CaseContext,
    *,
    blasts: int,
    cellularity: int,
    followup: bool = False,
    history: str | None = None,
) -> Json:
    """Chronic myeloid leukemia at diagnosis (chronic phase) or on a tyrosine kinase inhibitor."""
    verdict = cellularity_words(ctx, cellularity)
    pct = percent_text(blasts, 500)
    if followup:
        differential = differential_counts(500, NORMAL, blasts=blasts)
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=12.9,
            wbc_10e9_l=5.4,
            anc_10e9_l=3.2,
            alc_10e9_l=1.6,
            monocytes_10e9_l=0.4,
            platelets_10e9_l=201,
            mcv_fl=97,
        )
        smear = "Normal white cell differential; no basophilia or left shift."
        ancillary = [
            study_result(ctx, "fish", "BCR::ABL1 dual-fusion FISH: no fusion in 200 nuclei.", 2),
            study_result(
                ctx,
                "molecular",
                "BCR::ABL1 (p210) quantitative RT-PCR: 0.05% on the "
                "International Scale (major molecular response).",
                4,
            ),
            study_result(ctx, "karyotype", _normal_karyotype(ctx), 10),
        ]
        lines = [
            f"{verdict} marrow ({cellularity}%) with trilineage hematopoiesis, M:E ratio "
            f"{me_ratio_of(differential)}:1 and {pct}% blasts; no morphologic evidence of chronic "
            "myeloid leukemia.",
            "No BCR::ABL1 fusion by FISH; BCR::ABL1 transcripts 0.05% on the International Scale "
            "(major molecular response).",
        ]
        diagnosis = diagnosis_section(
            lines,
            plain=(
                "Your bone marrow looks normal on treatment, and the leukemia gene change is "
                "now at a very low level. This is a very good response."
            ),
        )
        megakaryocytes, mega_text, fibrosis = "adequate", "Normal number and morphology.", "MF-0"
    else:
        differential = differential_counts(500, CHRONIC_MYELOID, blasts=blasts)
        cbc = blood_count(
            ctx,
            hemoglobin_g_dl=10.6,
            wbc_10e9_l=168.0,
            anc_10e9_l=98.0,
            alc_10e9_l=4.1,
            monocytes_10e9_l=3.2,
            platelets_10e9_l=512,
            mcv_fl=88,
            pb_blasts_pct=2,
        )
        smear = (
            "Marked leukocytosis with a left-shifted myeloid series, a myelocyte bulge, "
            "basophilia and eosinophilia; 2% blasts."
        )
        ancillary = [
            study_result(
                ctx, "fish", "BCR::ABL1 dual-fusion FISH: fusion in 94% of 200 nuclei.", 2
            ),
            study_result(
                ctx,
                "molecular",
                "BCR::ABL1 p210 transcript (e14a2) detected; 68% on the International Scale.",
                4,
            ),
            study_result(ctx, "karyotype", f"46,{ctx.karyotype_sex},t(9;22)(q34.1;q11.2)[20].", 10),
        ]
        lines = [
            f"Chronic myeloid leukemia, BCR::ABL1-positive, chronic phase: {verdict.lower()} "
            f"marrow ({cellularity}%) with granulocytic hyperplasia, M:E ratio "
            f"{me_ratio_of(differential)}:1 and {pct}% blasts.",
            "Increased small hypolobated megakaryocytes; reticulin fibrosis MF-1.",
        ]
        diagnosis = diagnosis_section(
            lines,
            who=("Chronic myeloid leukaemia", "9875/3"),
            icc="Chronic myeloid leukemia, chronic phase",
            recommendations="Quantitative BCR::ABL1 monitoring on the International Scale "
            "every three months.",
            plain=(
                "Your bone marrow is making far too many white blood cells because of a gene "
                "change called BCR::ABL1. This is chronic myeloid leukemia in its early "
                "(chronic) phase, which usually responds very well to daily tablets."
            ),
        )
        megakaryocytes = "increased"
        mega_text = "Increased small megakaryocytes with hypolobated nuclei ('dwarf' forms)."
        fibrosis = "MF-1"
    return case_document(
        header_section(
            ctx,
            indication="treatment_monitoring" if followup else "suspected_hematologic_malignancy",
            detail=(
                "Twelve months on imatinib; assessment of response."
                if followup
                else "Marked leukocytosis with left shift and basophilia; splenomegaly."
            ),
            history=history,
            cbc=cbc,
            smear=smear,
            specimens=FULL_WORKUP,
        ),
        aspirate=aspirate_section(
            differential,
            cellularity=verdict.lower(),
            megakaryocytes=megakaryocytes,
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                granulocytic="Orderly maturation."
                if followup
                else "Marked granulocytic hyperplasia with a myelocyte peak, increased eosinophils "
                "and basophils.",
                megakaryocytic=mega_text,
            ),
            iron=iron_section(2),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis=fibrosis,
            megakaryocyte_number=megakaryocytes,
            megakaryocytes=mega_text,
            comment=None
            if followup
            else "Widened paratrabecular cuffs of immature granulocytes; "
            "scattered pseudo-Gaucher histiocytes.",
        ),
        stains=[
            stain_result("CD34", "positive", max(1, round(float(pct))), "single cells"),
            reticulin_stain(fibrosis),
        ],
        ancillary=ancillary,
        diagnosis=diagnosis,
    )


def cll_marrow(
    ctx: CaseContext,
    *,
    lymphocytes: int,
    percent: int,
    cellularity: int,
    pattern: Literal["interstitial", "nodular", "diffuse"] = "nodular",
    history: str | None = None,
) -> Json:
    """Chronic lymphocytic leukemia in the marrow before treatment."""
    verdict = cellularity_words(ctx, cellularity)
    return case_document(
        header_section(
            ctx,
            indication="suspected_hematologic_malignancy",
            detail="Persistent lymphocytosis with new anemia and thrombocytopenia; marrow "
            "assessment before treatment.",
            history=history,
            cbc=blood_count(
                ctx,
                hemoglobin_g_dl=10.2,
                wbc_10e9_l=48.6,
                anc_10e9_l=3.1,
                alc_10e9_l=43.9,
                monocytes_10e9_l=0.9,
                platelets_10e9_l=96,
                mcv_fl=92,
            ),
            smear="Lymphocytosis of small mature lymphocytes with clumped chromatin and numerous "
            "smudge cells; prolymphocytes under 2%.",
            specimens=FULL_WORKUP,
        ),
        aspirate=aspirate_section(
            differential_counts(500, NORMAL, blasts=3, lymphocytes=lymphocytes),
            cellularity=verdict.lower(),
            megakaryocytes="adequate",
            morphology=dict(
                _NORMAL_MORPHOLOGY,
                lymphoid="Small round lymphocytes with clumped 'soccer-ball' chromatin; "
                "occasional prolymphocytes.",
            ),
            iron=iron_section(2),
        ),
        core=core_section(
            ctx,
            cellularity=cellularity,
            fibrosis="MF-0",
            megakaryocyte_number="adequate",
            megakaryocytes="Normal number and morphology.",
            infiltrate=infiltrate_section(
                pattern, percent, "Small lymphocytes with pale proliferation centers."
            ),
        ),
        stains=[
            stain_result(
                "CD20", "positive", percent, pattern, "Weak staining of the lymphoid cells."
            ),
            stain_result("CD5", "positive", percent, pattern),
            stain_result("CD23", "positive", percent, pattern),
            stain_result("LEF1", "positive", percent, pattern),
            stain_result("Cyclin D1", "negative"),
        ],
        ancillary=[
            study_result(
                ctx,
                "flow_cytometry",
                f"Monotypic B cells, {round(lymphocytes / 5 * 0.9)}% "
                "of events: CD5+, CD23+, CD200+, CD20 dim, surface lambda dim, CD10-, FMC7-.",
                1,
            ),
            study_result(
                ctx,
                "fish",
                "CLL FISH panel: del(13q14) in 76% of nuclei; no del(17p), del(11q) or trisomy 12.",
                5,
            ),
            study_result(
                ctx,
                "molecular",
                "IGHV mutational status: mutated (4.8% deviation from "
                "germline). TP53 sequencing: no mutation.",
                14,
            ),
        ],
        diagnosis=diagnosis_section(
            [
                "Bone marrow involved by chronic lymphocytic leukemia/small lymphocytic "
                f"lymphoma, {pattern} pattern, about {percent}% of the marrow space.",
                f"{verdict} marrow ({cellularity}%); residual trilineage hematopoiesis decreased.",
            ],
            who=("Chronic lymphocytic leukaemia/small lymphocytic lymphoma", "9823/3"),
            icc="Chronic lymphocytic leukemia/small lymphocytic lymphoma",
            plain=(
                "Your bone marrow contains many small abnormal lymphocytes. This is chronic "
                "lymphocytic leukemia, a slow-growing blood cancer. The marrow findings help "
                "your doctor decide when and how to treat it."
            ),
        ),
    )
