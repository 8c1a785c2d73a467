"""Named reads of nursery admission (取組7) shared by the staff child page and the result
letters: a run's assignment in the engine's terms, and the engine's explanation of every
child's result (computed once per round, however many children are shown or printed)."""

from .matching.explain import ChildExplanation, explain
from .models import AdmissionRound, MatchingRun, Placement
from .services.instance import instance_for_round


def run_assignment(run: MatchingRun) -> dict[str, str | None]:
    """The run's placements as the engine's assignment: application id → nursery code."""
    return {str(application_id): code for application_id, code in
            Placement.objects.filter(run=run).values_list("application_id", "nursery__code")}


def round_explanations(round_: AdmissionRound, run: MatchingRun
                       ) -> dict[str, ChildExplanation]:
    """Why every child of the round got what they got in `run` (by application id)."""
    return explain(instance_for_round(round_), run_assignment(run))
