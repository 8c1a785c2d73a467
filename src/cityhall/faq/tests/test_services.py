"""Entries with history, publishing, department scoping, synonyms, CSV both ways, and the
learning loop's grouping and two-click actions."""

import pytest

from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import AuditEvent
from cityhall.faq import csvio, learning, services
from cityhall.faq.models import Entry, EntryRevision, IndexVersion, QuestionLog, SynonymGroup

pytestmark = pytest.mark.django_db


def _data(**changes):
    data = {"key": "library-hours", "category": "registration", "department": "koseki",
            "question_ja": "図書館の開館時間は？", "answer_ja": "<p>午前9時から午後8時です。</p>",
            "status": "draft"}
    data.update(changes)
    return data


def test_entry_save_keeps_history_audits_and_bumps_the_index(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    version = IndexVersion.objects.get(pk=1).version
    entry = services.entry_save(data=_data(), actor=editor)
    entry = services.entry_save(data=_data(question_ja="図書館は何時まで？"), entry=entry,
                                actor=editor)
    revisions = list(entry.revisions.order_by("number"))
    assert [r.action for r in revisions] == ["create", "update"]
    assert revisions[1].changed_fields == ["question_ja"]
    assert revisions[1].actor_label == editor.email
    assert revisions[1].snapshot["question_ja"] == "図書館は何時まで？"
    assert AuditEvent.objects.filter(action="faq_entry.update",
                                     target_id=str(entry.pk)).count() == 1
    assert IndexVersion.objects.get(pk=1).version == version + 2


def test_answers_are_cleaned_of_unsafe_html(knowledge):
    entry = services.entry_save(data=_data(
        answer_ja='<p onclick="x()">はい<script>alert(1)</script>'
                  '<a href="javascript:alert(1)">危険</a><a href="/faq/">安全</a></p><img src=x>'),
        actor=None)
    assert entry.answer_ja == '<p>はい<a>危険</a><a href="/faq/">安全</a></p>'


def test_a_stale_edit_is_refused(knowledge):
    entry = services.entry_save(data=_data(), actor=None)
    services.entry_save(data=_data(contact="03-0000"), entry=entry, actor=None)
    with pytest.raises(ConflictError):
        services.entry_save(data=_data(contact="03-1111"), entry=entry, actor=None,
                            expected_revision=1)
    assert Entry.objects.get(pk=entry.pk).contact == "03-0000"


@pytest.mark.parametrize(("changes", "field"), [
    ({"key": "Bad Key!"}, "key"), ({"key": "staff"}, "key"), ({"category": "nope"}, "category"),
    ({"question_ja": ""}, "question_ja"), ({"answer_ja": "<script></script>"}, "answer_ja"),
    ({"question_en": "Only a question"}, "answer_en"), ({"related": ["javascript:x"]}, "related"),
    ({"review_date": "2026/13/01"}, "review_date"), ({"department": "nowhere"}, "department"),
])
def test_invalid_entries_are_refused_and_nothing_changes(knowledge, changes, field):
    count = Entry.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.entry_save(data=_data(**changes), actor=None)
    assert error.value.field == field
    assert Entry.objects.count() == count


def test_department_editors_edit_only_their_department(knowledge, staff_with_roles):
    koseki_editor = staff_with_roles("faq_department_editor", department="koseki")
    entry = services.entry_save(data=_data(), actor=koseki_editor)
    assert entry.department.code == "koseki"
    other = Entry.objects.get(key="bulky-waste-how")
    with pytest.raises(PermissionDeniedError):
        services.entry_save(data={**services._snapshot(other), "contact": "x"}, entry=other,
                            actor=koseki_editor)
    with pytest.raises(PermissionDeniedError):  # nor move an entry to another department
        services.entry_save(data=_data(department="tax"), entry=entry, actor=koseki_editor)
    with pytest.raises(PermissionDeniedError):  # and they may not publish
        services.entry_set_status(entry=entry, status="published", actor=koseki_editor)
    assert Entry.objects.get(pk=entry.pk).status == "draft"


def test_staff_without_the_role_cannot_edit(knowledge, staff_with_roles):
    clerk = staff_with_roles("counter_clerk")
    with pytest.raises(PermissionDeniedError):
        services.entry_save(data=_data(), actor=clerk)
    assert not Entry.objects.filter(key="library-hours").exists()


def test_synonym_groups(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    group = services.synonym_group_save(terms="図書館, としょかん、ライブラリー", actor=editor)
    assert group.terms == ["図書館", "としょかん", "ライブラリー"]
    with pytest.raises(ValidationFailed):
        services.synonym_group_save(terms="ひとつだけ", actor=editor)
    services.synonym_group_delete(group=group, actor=editor)
    assert not SynonymGroup.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize("encoding", ["utf-8", "shift_jis"])
def test_csv_round_trip(knowledge, staff_with_roles, encoding):
    editor = staff_with_roles("faq_editor")
    entries = Entry.objects.select_related("category", "department").order_by("key")
    data = csvio.export_csv(entries, encoding=encoding)
    if encoding == "utf-8":
        assert data.startswith(b"\xef\xbb\xbf")
    else:
        assert "粗大ごみ".encode("cp932") in data
    assert csvio.import_csv(data=data, encoding=encoding, actor=editor) == {
        "created": 0, "updated": 0, "unchanged": entries.count()}
    text = data.decode(csvio.ENCODINGS[encoding]).replace(
        "粗大ごみはどうやって出せばよいですか。", "粗大ごみの出し方を教えてください。")
    counts = csvio.import_csv(data=text.encode(csvio.ENCODINGS[encoding]), encoding=encoding,
                              actor=editor)
    assert counts["updated"] == 1
    entry = Entry.objects.get(key="bulky-waste-how")
    assert entry.question_ja == "粗大ごみの出し方を教えてください。"


def test_a_bad_row_refuses_the_whole_file(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    csv_text = ("key,category,question_ja,answer_ja,status\r\n"
                "new-one,garbage,新しい質問,<p>答え</p>,draft\r\n"
                "new-two,nowhere,もう一つ,<p>答え</p>,draft\r\n")
    with pytest.raises(ValidationFailed) as error:
        csvio.import_csv(data=csv_text.encode("utf-8-sig"), encoding="utf-8", actor=editor)
    message = str(error.value.message)
    assert ("Row 3" in message or "3行目" in message) and "category" in message
    assert not Entry.objects.filter(key__in=["new-one", "new-two"]).exists()


def test_a_file_in_the_wrong_encoding_is_refused(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    data = "key,category,question_ja,answer_ja\r\nx,garbage,質問,答え\r\n".encode("cp932")
    with pytest.raises(ValidationFailed):
        csvio.import_csv(data=data, encoding="utf-8", actor=editor)
    with pytest.raises(ValidationFailed):
        csvio.import_csv(data=b"\x00\x01binary", encoding="utf-8", actor=editor)


def _log(text, language="ja", answered=False, helpful=None, top=None):
    return QuestionLog.objects.create(text=text, language=language, channel="web",
                                      answered=answered, helpful=helpful, top_entry=top)


def test_similar_questions_are_grouped(knowledge):
    library = ["図書館の開館時間", "図書館は何時に開館しますか", "図書館の開館時間は？"]
    logs = [*map(_log, library), _log("パスポートの申請"), _log("パスポート申請したい"),
            _log("parking permit", "en")]
    groups = learning.group_questions(logs)
    sizes = sorted(group.size for group in groups)
    assert sizes == [1, 2, 3]
    assert {log.text for log in groups[0].logs} == set(library)


def test_a_group_becomes_a_draft_entry(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    logs = [_log("図書館の開館時間"), _log("図書館は何時まで")]
    from cityhall.faq.models import Category

    entry = services.entry_create_from_questions(
        log_ids=[log.pk for log in logs], category=Category.objects.get(code="registration"),
        actor=editor)
    assert entry.status == "draft"
    assert entry.question_ja == "図書館の開館時間"
    assert entry.phrasings_ja == ["図書館は何時まで"]
    assert QuestionLog.objects.filter(resolved_entry=entry).count() == 2


def test_a_group_becomes_phrasings_of_an_entry(knowledge, staff_with_roles):
    editor = staff_with_roles("faq_editor")
    entry = Entry.objects.get(key="bulky-waste-how")
    logs = [_log("でかいごみ捨てたい"), _log("big trash", "en", helpful=False, answered=True)]
    services.phrasing_add_from_questions(log_ids=[log.pk for log in logs], entry=entry,
                                         actor=editor)
    entry.refresh_from_db()
    assert "でかいごみ捨てたい" in entry.phrasings_ja
    assert "big trash" in entry.phrasings_en
    assert EntryRevision.objects.filter(entry=entry, action="add_phrasing").count() == 1
    from cityhall.faq import engine

    assert engine.current_index().ask("でかいごみ捨てたい").hits[0].key == "bulky-waste-how"
