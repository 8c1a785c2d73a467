"""The retrieval engine on the development fixtures: kana-only questions find kanji entries,
synonyms, typos through bigrams, half-width and old forms, English; the threshold; only
published entries; the index follows the database's version."""

import pytest

from cityhall.faq import engine
from cityhall.faq.engine import Index
from cityhall.faq.evaluation import FIXTURES_DIR, docs_from_content, load_json

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def index():
    content = load_json("entries.json", FIXTURES_DIR)
    groups = load_json("synonyms.json", FIXTURES_DIR)["groups"]
    return Index(docs_from_content(content), groups)


def top(index, text, language="ja"):
    result = index.ask(text, language=language)
    return result.hits[0].key if result.hits else None


@pytest.mark.parametrize(("question", "key"), [
    ("じゅうみんひょう", "resident-record-copy"),           # kana only, entry in kanji
    ("かねんごみのしゅうしゅうび", "burnable-days"),
    ("ほいくえん もうしこみ", "nursery-apply"),
    ("大型ごみを出したい", "bulky-waste-how"),              # synonym 粗大ごみ ~ 大型ごみ
    ("個人番号カードを作りたい", "mynumber-card-apply"),    # マイナンバーカード ~ 個人番号カード
    ("区民税の払い方", "resident-tax-payment"),
    ("住民表の写し", "resident-record-copy"),               # typo 表/票 through bigrams
    ("粗台ごみ 申し込み", "bulky-waste-how"),
    ("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ 申請", "mynumber-card-apply"),           # half-width katakana
    ("會社を辭めた 健康保險", "nhi-join"),                   # old character forms
])
def test_japanese_questions_find_their_entry(index, question, key):
    assert top(index, question) == key


@pytest.mark.parametrize(("question", "key"), [
    ("How do I throw away a sofa?", "bulky-waste-how"),
    ("lost my number card", "mynumber-card-lost"),
    ("daycare application", "nursery-apply"),
    ("how to pay resident tax", "resident-tax-payment"),
])
def test_english_questions_search_english_entries(index, question, key):
    result = index.ask(question, language="ja")
    assert result.query_language == "en"
    assert result.hits[0].key == key


def test_a_japanese_question_on_an_english_page_searches_japanese(index):
    assert index.ask("住民票ほしい", language="en").query_language == "ja"


def test_confident_answers_above_the_threshold_and_none_below(index):
    assert index.ask("転入届").answered
    for question in ("区長の好きな食べ物は", "今日の天気は", "What is the best ramen in Tokyo?"):
        result = index.ask(question)
        assert not result.answered, question
        assert result.confidence < index.params.threshold


def test_the_threshold_decides(index):
    strict = Index([], [], engine.Params(threshold=1.01))
    assert not strict.ask("転入届").answered
    result = index.ask("転入届")
    assert 0 < result.confidence <= 1


def test_empty_and_symbol_only_questions_find_nothing(index):
    for question in ("", "   ", "？？？", "!!!"):
        result = index.ask(question)
        assert not result.answered


def test_drafts_are_not_indexed(index):
    assert all(hit.key != "draft-secret" for hit in index.ask("犬の登録").hits)


def test_the_index_follows_the_database(knowledge):
    from cityhall.faq import services
    from cityhall.faq.models import Entry

    first = engine.current_index()
    assert engine.current_index() is first  # cached while nothing changes
    assert first.ask("犬の登録").hits == [] or all(
        hit.key != "draft-secret" for hit in first.ask("犬の登録").hits)
    entry = Entry.objects.get(key="draft-secret")
    services.entry_set_status(entry=entry, status="published", actor=None)
    second = engine.current_index()
    assert second is not first
    assert second.ask("犬の登録").hits[0].key == "draft-secret"


def test_a_synonym_added_by_staff_changes_the_ranking(knowledge):
    from cityhall.faq import services

    before = engine.current_index().ask("ワンちゃんの登録手続き")
    assert not before.answered
    services.synonym_group_save(terms=["出生届", "赤ちゃんの届け"], actor=None)
    after = engine.current_index().ask("赤ちゃんの届け")
    assert after.hits[0].key == "birth-registration"


def test_the_keyword_baseline_ranks_by_words_found_and_answers_on_half_of_them():
    from cityhall.faq.engine import Doc
    from cityhall.faq.evaluation import KeywordBaseline, SubstringBaseline

    docs = [Doc(1, "bulky", {"ja": ["粗大ごみの出し方", "大きなごみ"]},
                {"ja": "<p>申し込みが必要です</p>"}),
            Doc(2, "juminhyo", {"ja": ["住民票の写し"]}, {"ja": "<p>窓口で申し込み</p>"})]
    keyword = KeywordBaseline(docs)
    assert keyword.search_scored("粗大ごみ 申し込み") == (["bulky", "juminhyo"], 1.0)
    assert keyword.search_scored("住民票 天気 ロケット")[1] == pytest.approx(1 / 3)
    assert keyword.search_scored("a an") == ([], 0.0)
    # The strict substring search needs every word in one field.
    assert SubstringBaseline(docs).search("粗大ごみ 申し込み") == []
