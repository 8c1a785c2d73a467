"""Navigator, catalogue search and application submissions beside same-run baselines.

    uv run python bench/procedures_bench.py                   # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/procedures_bench.py               # PostgreSQL (flushed)

For every life event over the full Minato catalogue it evaluates the checklist with all
questions answered, with none answered and with half answered (random but seeded), and
prints the median and p95 in milliseconds. The baseline is the plain SQL that fetches the
same rules and procedures (what any implementation must at least do). Search is measured
for a few typical queries beside a plain LIKE on the procedure name.
"""

import datetime
import os
import random
import time

from benchsetup import percentiles, setup_django, timed_ms

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def random_answers(event, rng, share):
    answers = {}
    for question in event.questions:
        if rng.random() > share:
            continue
        if question["type"] == "bool":
            answers[question["key"]] = rng.random() < 0.5
        elif question["type"] == "choice":
            answers[question["key"]] = rng.choice(question["choices"])["value"]
        else:
            answers[question["key"]] = rng.randint(question.get("min", 0) or 0,
                                                   min(question.get("max", 100) or 100, 100))
    return answers


def main():
    call_command("load_minato_reference", verbosity=0)

    from cityhall.procedures.models import LifeEvent, Procedure
    from cityhall.procedures.selectors import checklist, search_procedures

    rng = random.Random(2026)
    events = list(LifeEvent.objects.all())
    today = datetime.date(2026, 4, 1)
    baseline, navigator = [], []
    sql = (
        "SELECT r.step, r.condition, p.code, p.name_ja, p.deadline_days, p.documents_ja "
        "FROM procedures_eventrule r JOIN procedures_procedure p ON p.id = r.procedure_id "
        "WHERE r.life_event_id = %s ORDER BY r.step")
    for _ in range(ROUNDS):
        for event in events:
            def plain(event=event):
                with connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk])
                    cursor.fetchall()
            baseline.append(timed_ms(plain))
            for share in (1.0, 0.0, 0.5):
                answers = random_answers(event, rng, share)
                navigator.append(timed_ms(
                    lambda event=event, answers=answers: checklist(
                        life_event=event, answers=answers, event_date=today)))

    print(f"database: {connection.vendor}; {len(events)} life events, "
          f"{Procedure.objects.count()} procedures, {ROUNDS} rounds")
    print(f"{'operation':52} {'median ms':>10} {'p95 ms':>10}")
    for label, samples in (("baseline: plain SQL fetch of an event's rules", baseline),
                           ("navigator checklist (evaluate + deadlines)", navigator)):
        median, p95 = percentiles(samples)
        print(f"{label:52} {median:10.2f} {p95:10.2f}")

    queries = ["転入", "てんにゅう", "ﾃﾝﾆｭｳ", "子供医療費", "dog", "保険 加入"]
    plain_search, smart_search = [], []
    for _ in range(ROUNDS):
        for query in queries:
            plain_search.append(timed_ms(lambda query=query: list(
                Procedure.objects.filter(name_ja__contains=query))))
            smart_search.append(timed_ms(lambda query=query: list(
                search_procedures(query=query))))
    for label, samples in (("baseline: LIKE on the procedure name", plain_search),
                           ("Japanese-aware search (Sudachi + kana folding)", smart_search)):
        median, p95 = percentiles(samples)
        print(f"{label:52} {median:10.2f} {p95:10.2f}")
    for query in queries:
        plain = Procedure.objects.filter(name_ja__contains=query).count()
        smart = search_procedures(query=query).count()
        print(f"  {query!r:16} plain LIKE finds {plain:3}, Japanese-aware search finds {smart:3}")


def bench_submissions():
    """Application submissions per second (validate, lock the reference counter, write the
    history and the audit event) beside a plain INSERT of the same row."""
    import json

    from django.db import transaction

    from cityhall.core.models import Town, User
    from cityhall.core.services import resident_profile_save
    from cityhall.procedures import services
    from cityhall.procedures.models import Procedure

    count = int(os.environ.get("BENCH_SUBMISSIONS", "300"))
    procedure = Procedure.objects.get(code="dog-registration")
    form = procedure.forms.get(is_active=True)
    answers = {"dog_name": "ポチ", "breed": "柴犬", "coat_colour": "赤", "sex": "male",
               "date_of_birth": "2026-01-10", "acquired_on": "2026-11-01",
               "rabies_vaccination": True}
    users = []
    town = Town.objects.get(name="芝公園", chome=2)
    for number in range(count):
        user = User.objects.create_user(email=f"bench{number}@bench.example", password=None)
        resident_profile_save(user=user, actor=user, data={
            "family_name": "港", "given_name": f"太郎{number}", "family_name_kana": "ミナト",
            "given_name_kana": "タロウ", "date_of_birth": datetime.date(1990, 1, 1),
            "town": town, "block_number": "1-1"})
        users.append(user)
    drafts = [services.application_start(procedure=procedure, applicant=user, actor=user)
              for user in users]
    for draft, user in zip(drafts, users, strict=True):
        services.application_save_draft(application=draft, data=answers, actor=user)

    payload = json.dumps(answers, ensure_ascii=False)
    started = time.perf_counter()
    for user in users:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO procedures_application (procedure_id, form_id, applicant_id, "
                "status, data, prefilled, created_at, updated_at, payment_status, "
                "payment_reference) "
                "VALUES (%s, %s, %s, 'submitted', %s, '{}', %s, %s, 'at_counter', '')",
                [procedure.pk, form.pk, user.pk, payload, datetime.datetime.now(datetime.UTC),
                 datetime.datetime.now(datetime.UTC)])
    plain = time.perf_counter() - started

    started = time.perf_counter()
    for draft, user in zip(drafts, users, strict=True):
        services.application_submit(application=draft, actor=user)
    real = time.perf_counter() - started
    print(f"{'operation':52} {'per second':>10} {'ms each':>10}")
    print(f"{'baseline: plain INSERT of a submitted row':52} {count / plain:10.0f} "
          f"{plain / count * 1000:10.2f}")
    print(f"{'application_submit (validate, number, history, audit)':52} {count / real:10.0f} "
          f"{real / count * 1000:10.2f}")


def bench_counter_pdf():
    """The write-less counter's one PDF of every form of a move-in (a dozen A4 pages)
    beside WeasyPrint rendering a one-line A4 page with the same font."""
    from weasyprint import HTML

    from cityhall.core.models import BranchOffice, StaffProfile, User
    from cityhall.procedures import services
    from cityhall.procedures.models import LifeEvent

    rounds = int(os.environ.get("BENCH_PDF_ROUNDS", "5"))
    clerk = User.objects.create_user(email="bench.clerk@bench.example", password=None,
                                     is_staff=True, is_superuser=True)
    StaffProfile.objects.create(user=clerk, display_name="bench",
                                branch_office=BranchOffice.objects.first())
    visit = services.counter_visit_start(life_event=LifeEvent.objects.get(code="moving_in"),
                                         actor=clerk)
    visit = services.counter_visit_answer(visit=visit, answers={}, event_date=datetime.date(
        2026, 4, 1), actor=clerk)
    visit = services.counter_visit_set_facts(visit=visit, actor=clerk, facts={
        "full_name": "港 太郎", "full_name_kana": "ミナト タロウ", "date_of_birth": "1990-01-01",
        "address": "東京都港区芝公園1丁目5-25", "previous_address": "大阪府大阪市北区中之島1-3-20",
        "phone": "03-3578-2111"})
    one_line = ('<html><head><style>@page{size:A4} body{font-family:"IPAexGothic"}</style>'
                '</head><body><p>港区 テスト</p></body></html>')
    HTML(string=one_line).write_pdf()  # load fonts once, outside the measurement
    baseline = [timed_ms(lambda: HTML(string=one_line).write_pdf()) for _ in range(rounds)]
    pages = []
    real = [timed_ms(lambda: pages.append(services.counter_visit_print(
        visit=visit, actor=clerk))) for _ in range(rounds)]
    print(f"{'operation':52} {'median ms':>10} {'p95 ms':>10}")
    for label, samples in (("baseline: WeasyPrint, one line on one A4 page", baseline),
                           (f"counter PDF: {len(visit.procedure_codes)} forms of a move-in",
                            real)):
        median, p95 = percentiles(samples)
        print(f"{label:52} {median:10.1f} {p95:10.1f}")


if __name__ == "__main__":
    main()
    bench_submissions()
    bench_counter_pdf()
