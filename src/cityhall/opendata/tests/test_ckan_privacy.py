"""Private, draft and deleted datasets never show to anonymous clients, in any CKAN action
(issue 8, "tests must try each call"); their editors see them only where CKAN shows them."""

import json

import pytest

from cityhall.opendata import services
from cityhall.opendata.ckan.actions import ACTIONS

from .factories import csv_resource, dataset, opendata_staff, organization

pytestmark = pytest.mark.django_db

SECRET_WORD = "secretword"


@pytest.fixture
def catalogue(minato):
    services.group_ensure(name="disaster", title="防災")
    public = dataset(name="public-one", title="公開", tags=("公開タグ",), groups=["disaster"])
    csv_resource(public)
    hidden = []
    for name, values in (("private-one", {"private": True}), ("draft-one", {"state": "draft"}),
                         ("deleted-one", {})):
        row = dataset(name=name, title=f"{SECRET_WORD} {name}", groups=["disaster"],
                      tags=(f"{SECRET_WORD}-{name}",), **values)
        hidden.append((row, csv_resource(row, name=f"{SECRET_WORD} file")))
    services.dataset_delete(actor=None, dataset=hidden[-1][0])
    return public, hidden


def _calls(public, hidden):
    """Every read action with arguments that would reveal a hidden dataset if it leaked."""
    calls = [("status_show", {}), ("license_list", {}), ("package_list", {}),
             ("current_package_list_with_resources", {}), ("tag_list", {}),
             ("tag_list", {"all_fields": "true"}),
             ("organization_list", {"all_fields": "true"}),
             ("group_list", {"all_fields": "true"}),
             ("organization_show", {"id": "disaster-management", "include_datasets": "true"}),
             ("group_show", {"id": "disaster", "include_datasets": "true"}),
             ("package_autocomplete", {"q": SECRET_WORD}),
             ("package_autocomplete", {"q": "one"}),
             ("help_show", {"name": "package_show"})]
    for options in ({}, {"include_private": "true", "include_drafts": "true"},
                    {"q": SECRET_WORD}, {"fq": "private:true"}, {"fq": "state:draft"},
                    {"facet.field": '["tags","organization","groups","res_format"]'}):
        calls.append(("package_search", {"rows": "1000", **options}))
    for row, resource in hidden:
        calls += [("package_show", {"id": row.name}), ("package_show", {"id": str(row.pk)}),
                  ("resource_show", {"id": str(resource.pk)})]
    return calls


def test_every_read_action_is_tried():
    read_actions = {name for name, found in ACTIONS.items() if found.side_effect_free}
    assert {name for name, _ in _calls(None, [])} | {"package_show", "resource_show"} == \
        read_actions


@pytest.mark.parametrize("who", ["anonymous", "bad token", "other department's editor"])
def test_hidden_datasets_never_reach_anonymous_clients(client, catalogue, who):
    public, hidden = catalogue
    headers = {}
    if who == "bad token":
        headers = {"HTTP_AUTHORIZATION": "chod_not-a-token"}
    elif who == "other department's editor":
        organization("doboku")
        editor = opendata_staff(roles=("opendata_department_editor",), department="doboku",
                                email="doboku.od@test.cityhall.example")
        headers = {"HTTP_X_CKAN_API_KEY": services.api_token_issue(actor=editor,
                                                                   name="t")[1]}
    for name, params in _calls(public, hidden):
        response = client.get(f"/api/3/action/{name}", params, **headers)
        text = response.content.decode()
        assert response.status_code in (200, 404), (name, params, text)
        for row, resource in hidden:
            for secret in (row.name, str(row.pk), str(resource.pk), SECRET_WORD):
                assert secret not in text, (name, params, secret)
        if name in ("package_show", "resource_show"):
            assert response.status_code == 404
            assert json.loads(text)["error"]["__type"] == "Not Found Error"
    counts = client.get("/api/3/action/organization_list", {"all_fields": "true"}).json()
    assert {row["name"]: row["package_count"] for row in counts["result"]}[
        "disaster-management"] == 1


def test_editors_see_their_private_and_draft_datasets_when_they_ask(client, catalogue,
                                                                    disaster_editor, clerk):
    _public, hidden = catalogue
    _row, token = services.api_token_issue(actor=disaster_editor, name="reader")
    private, draft = hidden[0][0], hidden[1][0]
    auth = {"HTTP_AUTHORIZATION": token}
    shown = client.get("/api/3/action/package_show", {"id": private.name}, **auth)
    assert shown.status_code == 200 and shown.json()["result"]["private"] is True
    plain = client.get("/api/3/action/package_search", {"rows": 50}, **auth).json()
    assert plain["result"]["count"] == 1
    asked = client.get("/api/3/action/package_search",
                       {"include_private": "true", "include_drafts": "true"}, **auth).json()
    assert {row["name"] for row in asked["result"]["results"]} == {
        "public-one", private.name, draft.name}
    # The same call as JSONP acts anonymously (any site could include it in a page).
    jsonp = client.get("/api/3/action/package_show", {"id": private.name,
                                                       "callback": "cb"}, **auth)
    assert jsonp.status_code == 404
    # A clerk's token (no publishing role) cannot even be issued.
    from cityhall.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.api_token_issue(actor=clerk, name="no")
