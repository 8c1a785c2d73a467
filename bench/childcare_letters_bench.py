"""Result letters of nursery admission (取組7) at Minato scale: a confirmed round of 3,000
children (the seeded generator's instance, stored as rows, matched by serial dictatorship)
printed as one letter per household.

Measured in the same run on the same round:
- baseline: the letters' HTML only (loading, the engine's explanation, the templates), in
  parts of 100 households — what every letter costs before WeasyPrint;
- the whole round's PDF through `letter_batch_build` (what the background task runs:
  parts of 100 households, then joined): wall time, households and pages per second, file
  size, the process's peak memory;
- one household's letter (what a staff member or the applicant downloads): median of a few.

    uv run python bench/childcare_letters_bench.py
    CHILDCARE_LETTERS_BENCH_CHILDREN=500 uv run python bench/childcare_letters_bench.py
    CHILDCARE_LETTERS_BENCH_PDF_HOUSEHOLDS=200 ...   (print only the first 200 as PDF)

The PDF is CPU-bound (WeasyPrint's layout and text shaping): the figures give wall time and
the process's CPU time, which on a busy machine is the steadier of the two.
"""

import datetime
import io
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

CHILDREN = int(os.environ.get("CHILDCARE_LETTERS_BENCH_CHILDREN", "3000"))
FACILITIES = max(10, CHILDREN * 80 // 3000)
PDF_HOUSEHOLDS = int(os.environ.get("CHILDCARE_LETTERS_BENCH_PDF_HOUSEHOLDS", "0"))  # 0: all


def build_round():
    from django.contrib.auth import get_user_model

    from cityhall.childcare.matching.generator import generate
    from cityhall.childcare.matching.solve import serial_dictatorship
    from cityhall.childcare.models import (
        AdmissionRound,
        Application,
        ApplicationWish,
        Household,
        Nursery,
        PointsTable,
        RoundCapacity,
        RoundSeatPool,
    )
    from cityhall.childcare.services.instance import instance_for_round, round_result_store
    from cityhall.childcare.services.runs import round_confirm
    from cityhall.core.models import Facility, Municipality

    call_command("load_minato_reference", verbosity=0)
    officer = get_user_model().objects.create_superuser(
        email="bench.hoiku@example.invalid", password=None)
    generated = generate(1, children=CHILDREN, facilities=FACILITIES)
    municipality = Municipality.objects.get(code="131032")
    nurseries = {}
    for facility in generated.facilities:
        place = Facility.objects.create(
            municipality=municipality, code=f"bench-{facility.id}", name=f"{facility.name}保育園",
            kind=Facility.Kind.CHILDCARE, address="東京都港区（ベンチ）")
        nurseries[facility.id] = Nursery.objects.create(facility=place, code=facility.id)
    table = PointsTable.objects.create(name="ベンチ指数表", valid_from=datetime.date(2026, 4, 1))
    round_ = AdmissionRound.objects.create(
        name="ベンチ 2027年4月入所", admission_date=datetime.date(2027, 4, 1),
        points_table=table, state=AdmissionRound.State.IMPORTED)
    for facility in generated.facilities:
        RoundCapacity.objects.bulk_create([
            RoundCapacity(round=round_, nursery=nurseries[facility.id], age_class=age,
                          seats=seats) for age, seats in facility.seats.items()])
        RoundSeatPool.objects.bulk_create([
            RoundSeatPool(round=round_, nursery=nurseries[facility.id],
                          age_classes=sorted(pool.age_classes), seats=pool.seats)
            for pool in facility.pools])
    households = Household.objects.bulk_create([
        Household(round=round_, family_code=family.id, sibling_rule=family.sibling_rule.value)
        for family in generated.families])
    by_code = {household.family_code: household for household in households}
    born = datetime.date(2027, 4, 1)
    applications = Application.objects.bulk_create([
        Application(round=round_, household=by_code[child.family_id], number=f"B{index:05d}",
                    child_name=f"ベンチ 児童{index:05d}",
                    date_of_birth=born - datetime.timedelta(days=365 * child.age_class + 200),
                    age_class=child.age_class, score=child.score, basic_points=child.score,
                    current_nursery=nurseries.get(child.current_facility),
                    score_breakdown=[{"parent": 1, "kind": "basic", "code": "full",
                                      "label": "就労 月20日以上かつ週40時間以上",
                                      "points": child.score // 2},
                                     {"parent": 2, "kind": "basic", "code": "full",
                                      "label": "就労 月20日以上かつ週40時間以上",
                                      "points": child.score - child.score // 2}])
        for index, child in enumerate(generated.children, start=1)])
    ApplicationWish.objects.bulk_create([
        ApplicationWish(application=application, rank=rank, nursery=nurseries[code])
        for application, child in zip(applications, generated.children, strict=True)
        for rank, code in enumerate(child.wishes, start=1)], batch_size=5000)
    result = serial_dictatorship(instance_for_round(round_))
    round_result_store(round=round_, result=result, actor=officer)
    round_confirm(round=round_, actor=officer)
    round_.refresh_from_db()
    return round_, officer


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    from pypdf import PdfReader

    sys.stdout.reconfigure(line_buffering=True)

    from cityhall.childcare.letters import RoundLetters, household_letter_pdf
    from cityhall.childcare.models import Application, LetterBatch
    from cityhall.childcare.services.publication import PART_SIZE, letter_batch_build

    started = time.perf_counter()
    round_, officer = build_round()
    print(f"round: {CHILDREN} children, {FACILITIES} nurseries, set up in "
          f"{time.perf_counter() - started:.1f} s (not measured below)")

    started = time.perf_counter()
    letters = RoundLetters(round_)
    households = letters.household_ids()
    explained = time.perf_counter() - started
    size = 0
    for start in range(0, len(households), PART_SIZE):
        size += len(letters.html(letters.letters(households[start:start + PART_SIZE])))
    html_seconds = time.perf_counter() - started
    print(f"baseline, HTML only: {len(households)} households in {html_seconds:.1f} s "
          f"(of which loading and explaining the round {explained:.1f} s), "
          f"{size / 1e6:.1f} MB of HTML, {len(households) / html_seconds:.0f} households/s")

    before_mb = peak_mb()
    if PDF_HOUSEHOLDS and len(households) > PDF_HOUSEHOLDS:
        # A quicker run: print only the first households, in the task's parts (not joined).
        started = time.perf_counter()
        cpu = time.process_time()
        pages = printed = size = 0
        part = households[:PDF_HOUSEHOLDS]
        for start in range(0, len(part), PART_SIZE):
            raw = letters.pdf(letters.letters(part[start:start + PART_SIZE]))
            pages += len(PdfReader(io.BytesIO(raw)).pages)
            printed += len(part[start:start + PART_SIZE])
            size += len(raw)
        label = f"first {printed} households, PDF (parts, not joined)"
    else:
        batch = LetterBatch.objects.create(round=round_, requested_by=officer,
                                           part_size=PART_SIZE)
        started = time.perf_counter()
        cpu = time.process_time()
        batch = letter_batch_build(batch_id=batch.pk)
        with batch.file.open("rb") as handle:
            raw = handle.read()
        pages, printed, size = len(PdfReader(io.BytesIO(raw)).pages), batch.done, len(raw)
        batch.file.delete(save=False)
        label = f"whole round, PDF (the task): {batch.done}/{batch.total} households"
    pdf_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    per_household = cpu_seconds / printed
    print(f"{label}, {pages} pages in {pdf_seconds:.1f} s wall, {cpu_seconds:.1f} s CPU "
          f"({per_household:.2f} s CPU per household, {pages / pdf_seconds:.1f} pages/s), "
          f"{size / 1e6:.1f} MB, peak memory {peak_mb():.0f} MB (before {before_mb:.0f} MB); "
          f"per household {per_household / (html_seconds / len(households)):.0f}x the HTML "
          f"baseline; the whole round on one worker: about "
          f"{per_household * len(households) / 60:.0f} min of CPU")

    from django.core.cache import cache

    cache.clear()  # the first letter explains the round; the next ones read the cache
    samples = []
    some = list(Application.objects.filter(round=round_).order_by("pk"))[
        :: max(1, CHILDREN // 5)][:5]
    for application in some:
        started = time.perf_counter()
        household_letter_pdf(application)
        samples.append(time.perf_counter() - started)
    print(f"one household's letter (download): first {samples[0]:.2f} s (explains the round), "
          f"then median {statistics.median(samples[1:]):.2f} s, max {max(samples[1:]):.2f} s "
          f"over {len(samples) - 1}")
    print(f"finished at {timezone.now():%H:%M:%S}")


if __name__ == "__main__":
    main()
