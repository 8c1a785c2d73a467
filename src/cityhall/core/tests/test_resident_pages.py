"""The resident's own pages: signing up, the profile, consents, the data download and
deleting the account. Bad input gets a translated error and changes nothing."""

import datetime
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.forms import MultipleChoiceField
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cityhall.core import demo
from cityhall.core.models import AuditEvent, Consent, ResidentProfile, Town
from cityhall.core.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def profile_post_data(**overrides):
    town = Town.objects.get(name="芝公園", chome=3)
    data = {
        "family_name": "芝", "given_name": "一郎",
        "family_name_kana": "シバ", "given_name_kana": "イチロウ",
        "date_of_birth": "1980-05-05", "town": str(town.pk), "block_number": "4-4",
        "phone": "03-3578-2111", "preferred_language": "ja",
        "accessibility_needs": ["large_text", "screen_reader"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def profile_values(profile):
    profile = ResidentProfile.objects.get(pk=profile.pk)
    return {name: getattr(profile, name) for name in (
        "family_name", "given_name", "family_name_kana", "given_name_kana", "date_of_birth",
        "town_id", "block_number", "phone", "preferred_language", "accessibility_needs",
        "updated_at")}


def translated(message, language, **params):
    with translation.override(language):
        text = translation.gettext(str(message))
    return escape(text % params if params else text)


# --- signing up ------------------------------------------------------------------------------

def test_signup_creates_an_unverified_account_and_sends_a_verification_email(client,
                                                                           mailoutbox):
    response = client.post(reverse("account_signup"), {
        "email": "New.Resident@Example.com", "password1": "a-long-Passphrase-42",
        "password2": "a-long-Passphrase-42"})
    assert response.status_code == 302
    user = User.objects.get(email="new.resident@example.com")
    assert not user.is_staff
    assert not user.is_demo
    assert user.check_password("a-long-Passphrase-42")
    address = EmailAddress.objects.get(user=user)
    assert address.email.lower() == "new.resident@example.com"
    assert address.verified is False
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["New.Resident@Example.com"] or \
        [to.lower() for to in mailoutbox[0].to] == ["new.resident@example.com"]
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    assert not ResidentProfile.objects.filter(user=user).exists()


def test_signup_with_mismatched_passwords_creates_nothing(client, mailoutbox):
    before = User.objects.count()
    response = client.post(reverse("account_signup"), {
        "email": "someone@example.com", "password1": "a-long-Passphrase-42",
        "password2": "another-Passphrase-42"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.count() == before
    assert mailoutbox == []


def test_signup_with_a_weak_password_creates_nothing(client, mailoutbox):
    response = client.post(reverse("account_signup"), {
        "email": "weak@example.com", "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="weak@example.com").exists()
    assert mailoutbox == []


# --- the profile -----------------------------------------------------------------------------

def test_new_user_is_asked_for_a_profile(client, minato):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("core:my_profile"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:my_profile_edit")
    assert client.get(reverse("core:my_profile_edit")).status_code == 200


def test_profile_create_saves_the_row_and_audits_field_names_only(client, minato):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("core:my_profile_edit"),
                           profile_post_data(preferred_language="en"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:my_profile")
    profile = ResidentProfile.objects.get(user=user)
    assert profile.full_name == "芝 一郎"
    assert profile.full_name_kana == "シバ イチロウ"
    assert profile.date_of_birth == datetime.date(1980, 5, 5)
    assert profile.town.label == "芝公園3丁目"
    assert profile.town.branch_office.code == "shiba"
    assert profile.block_number == "4-4"
    assert profile.phone == "03-3578-2111"
    assert profile.accessibility_needs == ["large_text", "screen_reader"]
    assert profile.is_demo is False
    event = AuditEvent.objects.get(action="resident.create", target_id=str(profile.pk))
    assert event.actor_id == user.pk
    assert event.target_type == "core.residentprofile"
    assert event.details == {"fields": sorted([
        "family_name", "given_name", "family_name_kana", "given_name_kana", "date_of_birth",
        "town", "block_number", "phone", "preferred_language", "accessibility_needs"])}
    stored = json.dumps(event.details, ensure_ascii=False) + event.purpose
    for value in ("芝", "一郎", "シバ", "1980", "03-3578-2111", "4-4"):
        assert value not in stored


def test_profile_update_audits_only_the_changed_fields(client, hanako):
    client.force_login(hanako.user)
    data = profile_post_data(
        family_name=hanako.family_name, given_name=hanako.given_name,
        family_name_kana=hanako.family_name_kana, given_name_kana=hanako.given_name_kana,
        date_of_birth=hanako.date_of_birth.isoformat(), town=str(hanako.town_id),
        block_number=hanako.block_number, phone="090-1234-5678", accessibility_needs=[])
    response = client.post(reverse("core:my_profile_edit"), data)
    assert response.status_code == 302
    hanako.refresh_from_db()
    assert hanako.phone == "090-1234-5678"
    assert hanako.family_name == "港"
    event = AuditEvent.objects.get(action="resident.update")
    assert event.details == {"fields": ["phone"]}
    assert "090" not in json.dumps(event.details)
    assert ResidentProfile.objects.filter(user=hanako.user).count() == 1


REQUIRED_JA = "このフィールドは必須です。"
BAD_INPUT = [
    # field, value, the message in English, the message in Japanese (None: the project's own
    # message, translated through the project's catalogue)
    ("date_of_birth", (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
     "The date of birth cannot be in the future.", None),
    ("date_of_birth", "1900-02-30", "Enter the date as year-month-day, e.g. 1985-04-01.", None),
    ("date_of_birth", "1800-01-01", "Please check the year of birth.", None),
    ("family_name_kana", "Shiba", "Please write the name in katakana or hiragana.", None),
    ("given_name_kana", "一郎", "Please write the name in katakana or hiragana.", None),
    ("phone", "call me", "Enter a phone number such as 03-3578-2111.", None),
    ("phone", "12", "Enter a phone number such as 03-3578-2111.", None),
    ("town", "999999999", "Please choose a town in this city.", None),
    ("town", "abc", "Please choose a town in this city.", None),
    ("accessibility_needs", ["jetpack"],
     "Select a valid choice. jetpack is not one of the available choices.",
     "正しく選択してください。 jetpack は候補にありません。"),
    ("preferred_language", "xx", "Select a valid choice. xx is not one of the available choices.",
     "正しく選択してください。 xx は候補にありません。"),
    ("family_name", "", "This field is required.", REQUIRED_JA),
    ("given_name", "", "This field is required.", REQUIRED_JA),
    ("family_name_kana", "", "This field is required.", REQUIRED_JA),
    ("date_of_birth", "", "This field is required.", REQUIRED_JA),
    ("town", "", "This field is required.", REQUIRED_JA),
    ("block_number", "", "This field is required.", REQUIRED_JA),
    ("family_name", "長" * 51, "Ensure this value has at most 50 characters (it has 51).",
     "この値は 50 文字以下でなければなりません( 51 文字になっています)。"),
]
BAD_INPUT_IDS = [f"{case[0]}-{i}" for i, case in enumerate(BAD_INPUT)]


@pytest.mark.parametrize(("field", "value", "message", "_ja"), BAD_INPUT, ids=BAD_INPUT_IDS)
def test_bad_profile_input_is_refused_in_english_and_changes_nothing(client, hanako, field,
                                                                     value, message, _ja):
    client.force_login(hanako.user)
    before = profile_values(hanako)
    events = AuditEvent.objects.count()
    response = client.post(reverse("core:my_profile_edit"), profile_post_data(**{field: value}),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert escape(message) in response.content.decode()
    assert profile_values(hanako) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("field", "value", "message", "japanese"), BAD_INPUT,
                         ids=BAD_INPUT_IDS)
def test_bad_profile_input_is_refused_in_japanese_and_changes_nothing(client, minato, field,
                                                                      value, message, japanese):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("core:my_profile_edit"), profile_post_data(**{field: value}),
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert response["Content-Language"] == "ja"
    assert field in response.context["form"].errors
    content = response.content.decode()
    # The message in Japanese, from the project's catalogue (not the English source).
    japanese = escape(japanese) if japanese else translated(message, "ja")
    assert japanese != escape(message), f"no Japanese translation for {message!r}"
    assert japanese in content
    assert escape(message) not in content
    assert not ResidentProfile.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action__startswith="resident.").exists()


def test_djangos_own_messages_are_in_japanese(client, hanako):
    client.force_login(hanako.user)
    before = profile_values(hanako)
    response = client.post(reverse("core:my_profile_edit"),
                           profile_post_data(family_name="", accessibility_needs=["jetpack"]),
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." not in content
    assert REQUIRED_JA in content
    assert escape("正しく選択してください。 jetpack は候補にありません。") in content
    assert translated(MultipleChoiceField.default_error_messages["invalid_choice"], "ja",
                      value="jetpack") in content
    assert profile_values(hanako) == before


def test_unknown_profile_fields_are_ignored_by_the_form(client, hanako):
    client.force_login(hanako.user)
    data = profile_post_data(town=str(hanako.town_id), is_demo="on", user=str(hanako.user_id))
    assert client.post(reverse("core:my_profile_edit"), data).status_code == 302
    hanako.refresh_from_db()
    assert hanako.user_id == hanako.user.pk
    assert hanako.is_demo is True  # unchanged: the persona is a demo record


# --- consents --------------------------------------------------------------------------------

def active_purposes(profile):
    return sorted(Consent.objects.filter(resident=profile, withdrawn_at__isnull=True)
                  .values_list("purpose", flat=True))


def test_consents_are_granted_and_withdrawn_with_history(client, hanako):
    client.force_login(hanako.user)
    url = reverse("core:my_consents")
    assert client.get(url).status_code == 200

    response = client.post(url, {"purposes": ["email_notices", "surveys"]})
    assert response.status_code == 302
    assert active_purposes(hanako) == ["email_notices", "surveys"]
    assert AuditEvent.objects.filter(action="consent.grant").count() == 2

    response = client.post(url, {"purposes": ["surveys"]})
    assert response.status_code == 302
    assert active_purposes(hanako) == ["surveys"]
    withdrawn = Consent.objects.get(resident=hanako, purpose="email_notices")
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_at >= withdrawn.granted_at
    assert Consent.objects.filter(resident=hanako, purpose="surveys").count() == 1
    events = AuditEvent.objects.filter(action="consent.withdraw")
    assert [e.details for e in events] == [{"purpose": "email_notices"}]

    # Granting again adds a row; the withdrawn one stays as history.
    assert client.post(url, {"purposes": ["email_notices", "surveys"]}).status_code == 302
    rows = Consent.objects.filter(resident=hanako, purpose="email_notices").order_by("granted_at")
    assert [row.withdrawn_at is None for row in rows] == [False, True]
    assert active_purposes(hanako) == ["email_notices", "surveys"]

    # Withdrawing everything: a browser sends no checkbox, only the CSRF token.
    assert client.post(url, {"csrfmiddlewaretoken": "token"}).status_code == 302
    assert active_purposes(hanako) == []
    assert Consent.objects.filter(resident=hanako).count() == 3


def test_withdrawing_every_consent_with_an_empty_post(client, hanako):
    client.force_login(hanako.user)
    url = reverse("core:my_consents")
    client.post(url, {"purposes": ["surveys"]})
    assert client.post(url, {}).status_code == 302
    assert active_purposes(hanako) == []


def test_unknown_consent_purpose_is_refused_and_changes_nothing(client, hanako):
    client.force_login(hanako.user)
    url = reverse("core:my_consents")
    client.post(url, {"purposes": ["surveys"]})
    events = AuditEvent.objects.count()
    response = client.post(url, {"purposes": ["surveys", "sell_my_data"]},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "purposes" in response.context["form"].errors
    assert active_purposes(hanako) == ["surveys"]
    assert Consent.objects.filter(resident=hanako).count() == 1
    assert AuditEvent.objects.count() == events


def test_consents_need_a_profile_first(client, minato):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("core:my_consents"), {"purposes": ["surveys"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:my_profile_edit")
    assert not Consent.objects.exists()


# --- the data download -----------------------------------------------------------------------

def test_data_download_is_a_json_attachment_with_the_profile(client, taro):
    client.force_login(taro.user)
    client.post(reverse("core:my_consents"), {"purposes": ["share_across_services"]})
    response = client.get(reverse("core:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cityhall-my-data.json"'
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = json.loads(response.content.decode("utf-8"))
    assert data["account"]["email"] == demo.RESIDENTS["taro"].email
    assert data["profile"] == {
        "family_name": "麻布", "given_name": "太郎", "family_name_kana": "アザブ",
        "given_name_kana": "タロウ", "date_of_birth": "1978-11-03", "town": "元麻布3丁目",
        "block_number": "8-15 元麻布ハイツ101", "phone": "", "preferred_language": "ja",
        "accessibility_needs": ["large_text"]}
    assert [c["purpose"] for c in data["consents"]] == ["share_across_services"]
    assert data["consents"][0]["withdrawn_at"] is None
    event = AuditEvent.objects.get(action="resident.export")
    assert event.actor_id == taro.user_id
    assert event.target_id == str(taro.user_id)


def test_data_download_without_a_profile(client, minato):
    user = UserFactory()
    client.force_login(user)
    data = json.loads(client.get(reverse("core:my_data_download")).content)
    assert data["profile"] is None
    assert data["consents"] == []


# --- deleting the account --------------------------------------------------------------------

def test_account_delete_page(client, hanako):
    client.force_login(hanako.user)
    assert client.get(reverse("core:my_account_delete")).status_code == 200


@pytest.mark.parametrize("data", [
    {"password": "wrong-password", "confirm": "on"},
    {"password": demo.DEMO_PASSWORD},
    {"password": "", "confirm": "on"},
    {"confirm": "on"},
])
def test_account_delete_needs_the_password_and_the_confirmation(client, hanako, data):
    client.force_login(hanako.user)
    events = AuditEvent.objects.count()
    response = client.post(reverse("core:my_account_delete"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["form"].errors
    if data.get("password") == "wrong-password":
        assert errors["password"] == ["The password is not correct."]
    if not data.get("password"):
        assert errors["password"] == ["This field is required."]
    if "confirm" not in data:
        assert errors["confirm"] == ["Please confirm that you want to delete your account."]
    assert User.objects.filter(pk=hanako.user_id).exists()
    assert ResidentProfile.objects.filter(pk=hanako.pk).exists()
    assert AuditEvent.objects.count() == events
    assert not AuditEvent.objects.filter(action="account.delete").exists()
    # Still signed in.
    assert client.get(reverse("core:my_profile")).status_code == 200


def test_account_delete_removes_the_account_and_is_audited(client, hanako):
    user_id, profile_id = hanako.user_id, hanako.pk
    client.post(reverse("core:my_consents"), {"purposes": ["surveys"]})
    client.force_login(hanako.user)
    response = client.post(reverse("core:my_account_delete"),
                           {"password": demo.DEMO_PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert not User.objects.filter(pk=user_id).exists()
    assert not ResidentProfile.objects.filter(pk=profile_id).exists()
    assert not Consent.objects.filter(resident_id=profile_id).exists()
    assert not EmailAddress.objects.filter(user_id=user_id).exists()
    event = AuditEvent.objects.get(action="account.delete")
    assert event.target_type == "core.user"
    assert event.target_id == str(user_id)
    assert event.actor_id is None
    assert event.details == {"self_service": True}
    # The events the account left stay, and the chain still verifies.
    assert AuditEvent.objects.filter(action="resident.create", target_id=str(profile_id)).exists()
    from cityhall.core.audit import audit_verify

    assert audit_verify().ok
    # Signed out.
    response = client.get(reverse("core:my_profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_cannot_delete_their_own_account(client, shiba_clerk):
    client.force_login(shiba_clerk)
    events = AuditEvent.objects.count()
    response = client.post(reverse("core:my_account_delete"),
                           {"password": demo.DEMO_PASSWORD, "confirm": "on"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Staff accounts are closed by a system administrator."]
    assert User.objects.filter(pk=shiba_clerk.pk, is_active=True).exists()
    assert AuditEvent.objects.count() == events


def test_password_of_factory_users(minato):
    # The factories' shared password works for signing in through the real form.
    user = UserFactory()
    assert user.check_password(PASSWORD)
