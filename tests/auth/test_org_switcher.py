"""The header's organization switcher: exactly the user's organizations, each one a link."""

import re

import pytest

from cxtracker.tenancy.models import UserProfile


def _switcher_links(response):
    body = response.content.decode()
    block = re.search(r'<details class="dropdown org-switcher">(.*?)</details>', body, re.S)
    assert block, "no organization switcher in the header"
    return re.findall(r'<a href="([^"]+)"', block[1])


@pytest.mark.django_db
def test_switcher_lists_exactly_the_users_organizations(client, nomad, org, other_org, third_org):
    client.force_login(nomad)
    response = client.get(f"/o/{org.slug}/")
    assert _switcher_links(response) == [f"/o/{org.slug}/", f"/o/{other_org.slug}/"]


@pytest.mark.django_db
def test_switcher_of_a_single_organization_user_shows_only_it(client, admin, org, other_org):
    client.force_login(admin)
    assert _switcher_links(client.get(f"/o/{org.slug}/")) == [f"/o/{org.slug}/"]


@pytest.mark.django_db
def test_switcher_marks_the_current_organization(client, nomad, org, other_org):
    client.force_login(nomad)
    body = client.get(f"/o/{other_org.slug}/").content.decode()
    assert f'<a href="/o/{other_org.slug}/" aria-current="true">Globex</a>' in body
    assert f'<a href="/o/{org.slug}/">Acme Retail</a>' in body


@pytest.mark.django_db
def test_switching_opens_the_other_organization_and_remembers_it(client, nomad, org, other_org):
    client.force_login(nomad)
    links = _switcher_links(client.get(f"/o/{org.slug}/"))
    assert UserProfile.objects.get(user=nomad).last_organization == org

    response = client.get(links[1])
    assert response.status_code == 200
    assert response.context["org"] == other_org
    assert response.context["membership"].role == "executive"
    assert UserProfile.objects.get(user=nomad).last_organization == other_org


@pytest.mark.django_db
def test_no_switcher_outside_an_organization(client, nomad):
    client.force_login(nomad)
    assert "org-switcher" not in client.get("/?pick").content.decode()


@pytest.mark.django_db
def test_switcher_never_opens_an_organization_of_someone_else(client, nomad, third_org):
    client.force_login(nomad)
    assert client.get(f"/o/{third_org.slug}/").status_code == 404
