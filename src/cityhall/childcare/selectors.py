"""Named reads of nursery admission (取組7) shared by the staff child page and the result
letters: a run's assignment in the engine's terms, and the engine's explanation of every
child's result (computed once per round, however many children are shown or printed).

Explaining a round means loading all of it (3,000 children: seconds), so once a round is
confirmed — its decision can no longer change — the explanations are kept in the cache
(Redis past one machine) for a day: the child pages and single letters then cost one read.
"""

from django.core.cache import cache

from .matching.explain import ChildExplanation, explain
from .models import AdmissionRound, MatchingRun, Placement
from .services.instance import instance_for_round

CLOSED_STATES = (AdmissionRound.State.CONFIRMED, AdmissionRound.State.PUBLISHED)
EXPLANATIONS_SECONDS = 24 * 3600


def run_assignment(run: MatchingRun) -> dict[str, str | None]:
    """The run's placements as the engine's assignment: application id → nursery code."""
    return {str(application_id): code for application_id, code in
            Placement.objects.filter(run=run).values_list("application_id", "nursery__code")}


def round_explanations(round_: AdmissionRound, run: MatchingRun
                       ) -> dict[str, ChildExplanation]:
    """Why every child of the round got what they got in `run` (by application id)."""
    if round_.state not in CLOSED_STATES:
        return explain(instance_for_round(round_), run_assignment(run))
    key = f"childcare:explanations:{round_.pk}:{run.pk}"
    explanations = cache.get(key)
    if explanations is None:
        explanations = explain(instance_for_round(round_), run_assignment(run))
        cache.set(key, explanations, EXPLANATIONS_SECONDS)
    return explanations
