"""Property-based run of the published OpenAPI schema against a live server (schemathesis).

For every operation, valid and invalid requests generated from the schema, sent with an API key
of an organization that has data: no response may be a 5xx, and every documented response must
match its schema. Bounded: a few examples per operation and a time budget for the whole run.
"""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from experience.services import experience_model_create_from_json
from kpis.services import metrics_seed_defaults
from tests.api.conftest import MODEL_JSON, make_api_key
from tests.factories import make_member, make_tree

EXAMPLES_PER_OPERATION = 12
BUDGET_SECONDS = 150

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]


def test_api_conforms_to_its_schema_and_never_fails(live_server, org, settings_override):
    tree = make_tree(org)
    make_member(org, tree["T1"], code="E0001")
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    metrics_seed_defaults(org=org)
    headers = {"Authorization": f"Api-Key {make_api_key(org)}", "Accept-Language": "en"}

    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    deadline = time.monotonic() + BUDGET_SECONDS
    failures = []

    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            if time.monotonic() > deadline:
                break

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call(base_url=live_server.url, headers=headers)
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            try:
                run()
            except Unsatisfiable:
                pass  # nothing invalid to generate (e.g. a lone string path parameter)
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings_override(settings):
    """No throttling during the run: it sends hundreds of requests with one key."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": None}}
