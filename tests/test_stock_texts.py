"""Unfold's stock sentences that read oddly are replaced with plain ones."""

from django.urls import reverse


def test_an_empty_search_says_nothing_matches(client_a):
    page = client_a.get(reverse("admin:crm_lead_changelist") + "?q=nobody").content.decode()
    assert "yielded" not in page
    assert "Nothing matches this search or these filters." in page


def test_an_empty_list_without_its_own_hint_says_there_is_nothing_yet(client_a):
    page = client_a.get(reverse("admin:crm_tag_changelist")).content.decode()
    assert "There is nothing here yet." in page


def test_the_logout_page_speaks_plainly(client_a):
    page = client_a.post(reverse("admin:logout")).content.decode()
    assert "quality time" not in page
    assert "You are logged out" in page
